namespace JupyterKernels.Store;

/// <summary>
/// An execution some process of this module is running on a kernel: the row that makes the kernel Busy for every
/// process, and protects it from culling. The owner is a pid plus its start time (a pid alone is not an identity);
/// a row whose owner is gone is stale.
/// </summary>
internal sealed record ExecutionInFlight(string MsgId, string KernelId, string? SubShellId, int OwnerPid, DateTimeOffset? OwnerStartTime, DateTimeOffset StartedAt)
{
    /// <summary>The id prefix of a call recorded while its process is still connecting to the kernel: the kernel is in use
    /// (nothing may stop it unasked) but not yet running that code (it is not shown Busy for it).</summary>
    public const string ConnectingPrefix = "connecting-";

    public bool IsConnecting => MsgId.StartsWith(ConnectingPrefix, StringComparison.Ordinal);
}
