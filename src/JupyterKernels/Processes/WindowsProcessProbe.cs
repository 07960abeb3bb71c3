using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using static JupyterKernels.Processes.WindowsNative;

namespace JupyterKernels.Processes;

/// <summary>
/// Liveness and start time of a pid on Windows, decided by error codes. It asks only for
/// PROCESS_QUERY_LIMITED_INFORMATION, which Windows grants for nearly every process (System.Diagnostics.Process asks
/// for more and throws "Access is denied" for a pid now owned by a service or an elevated process). A process we may
/// not even query that way is not our kernel: a kernel we started runs as us, and we can always query our own.
/// </summary>
[SupportedOSPlatform("windows")]
internal static class WindowsProcessProbe
{
    public static ProcessStatus Check(int pid, DateTimeOffset? recordedStart, TimeSpan tolerance)
    {
        var (status, started) = Probe(pid);
        if (status != ProcessStatus.Alive || recordedStart is not { } expected) return status;
        if (started is null) return ProcessStatus.Unknown;
        return (started.Value - expected).Duration() > tolerance ? ProcessStatus.Reused : ProcessStatus.Alive;
    }

    public static DateTimeOffset? TryGetStartTime(int pid) => Probe(pid).Started;

    /// <summary>Gone (no such pid, or it has exited), Reused (a process we may not query: not ours), Alive (with its start time), or Unknown.</summary>
    public static (ProcessStatus Status, DateTimeOffset? Started) Probe(int pid)
    {
        if (pid <= 0) return (ProcessStatus.Gone, null);
        using var process = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, false, pid);
        if (process.IsInvalid)
        {
            return Marshal.GetLastPInvokeError() switch
            {
                ERROR_INVALID_PARAMETER => (ProcessStatus.Gone, null), // no process has this pid
                ERROR_ACCESS_DENIED => (ProcessStatus.Reused, null),
                _ => (ProcessStatus.Unknown, null),
            };
        }
        if (GetExitCodeProcess(process, out var code) && code != STILL_ACTIVE) return (ProcessStatus.Gone, null);
        if (!GetProcessTimes(process, out var created, out _, out _, out _)) return (ProcessStatus.Alive, null);
        return (ProcessStatus.Alive, new DateTimeOffset(DateTime.FromFileTimeUtc(created), TimeSpan.Zero));
    }
}
