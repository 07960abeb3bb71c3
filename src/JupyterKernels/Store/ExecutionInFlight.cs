namespace JupyterKernels.Store;

/// <summary>
/// An execution some process of this module is running on a kernel: the row that makes the kernel Busy for every
/// process, and protects it from culling. The owner is a pid plus its start time (a pid alone is not an identity);
/// a row whose owner is gone is stale.
/// </summary>
internal sealed record ExecutionInFlight(string MsgId, string KernelId, string? SubShellId, int OwnerPid, DateTimeOffset? OwnerStartTime, DateTimeOffset StartedAt);
