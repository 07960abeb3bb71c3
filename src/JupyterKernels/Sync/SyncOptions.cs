namespace JupyterKernels.Sync;

public sealed record SyncOptions
{
    /// <summary>Limit to these providers (null = all).</summary>
    public IReadOnlyList<string>? Providers { get; init; }
    /// <summary>Record remote kernels that we did not start.</summary>
    public bool Adopt { get; init; }
    /// <summary>Delete records of kernels that are definitely gone (otherwise they are marked dead).</summary>
    public bool RemoveDead { get; init; }
    /// <summary>Shut down kernels idle for longer than this (null = no culling).</summary>
    public TimeSpan? CullIdle { get; init; }
    /// <summary>jupyter_server cull_busy: also cull kernels that are busy.</summary>
    public bool IncludeBusy { get; init; }
    /// <summary>jupyter_server cull_connected: also cull kernels with open connections.</summary>
    public bool IncludeConnected { get; init; }
    /// <summary>Report what would happen; change nothing.</summary>
    public bool WhatIf { get; init; }
    /// <summary>A remote provider that has not listed its kernels after this long counts as failed for this run (its
    /// records are left unchanged), so one server that accepts and never answers cannot stall the sync. Null = the
    /// provider's own timeouts.</summary>
    public TimeSpan? ListBudget { get; init; } = TimeSpan.FromSeconds(15);
}
