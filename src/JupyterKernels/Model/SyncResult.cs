namespace JupyterKernels;

public enum SyncAction { Kept, Updated, Adopted, MarkedDead, Removed, Culled, Failed }

/// <summary>What Sync-KernelSession did to one kernel record, and why.</summary>
public sealed class SyncResult
{
    public required string KernelId { get; init; }
    public required string Provider { get; init; }
    public SyncAction Action { get; init; }
    public string Reason { get; init; } = "";
    public KernelState State { get; init; }
    /// <summary>True when -WhatIf prevented the change (the action says what would have happened).</summary>
    public bool WhatIf { get; init; }

    public override string ToString() => $"{KernelId} {Action}: {Reason}";
}
