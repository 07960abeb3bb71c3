using JupyterKernels.Processes;
using JupyterKernels.Store;

namespace JupyterKernels.Sync;

/// <summary>Who runs an execution in flight: this process's identity when recording one, and whether a recorded
/// owner is still there. Stale only on definite evidence (the pid is gone, or belongs to a later process).</summary>
internal static class ExecutionOwners
{
    private static readonly Lazy<DateTimeOffset?> ThisStart = new(() => ProcessIdentity.TryGetStartTime(Environment.ProcessId));

    public static int ThisPid => Environment.ProcessId;

    public static DateTimeOffset? ThisStartTime => ThisStart.Value;

    /// <summary>True when the owner process is definitely gone (exited, or its pid reused by a later process).</summary>
    public static bool IsStale(ExecutionInFlight execution)
        => ProcessIdentity.Check(execution.OwnerPid, execution.OwnerStartTime) is ProcessStatus.Gone or ProcessStatus.Reused;

    /// <summary>Why a row is stale, for SyncResult.Reason.</summary>
    public static string Describe(ExecutionInFlight e)
        => $"execution {e.MsgId} (started {e.StartedAt:u}" + (e.SubShellId is null ? "" : $" in subshell {e.SubShellId}") + $") by process {e.OwnerPid}";
}
