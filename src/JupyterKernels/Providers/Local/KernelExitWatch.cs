using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using JupyterKernels.Processes;

namespace JupyterKernels.Providers.Local;

/// <summary>
/// The end of a stop that returned at the kernel's acknowledgement. A kernel that has sent its shutdown_reply still has
/// to finish its process (ipykernel: 100–250 ms of interpreter teardown), and one whose teardown hangs (a non-daemon
/// thread, a stuck atexit handler) never does. So each watch waits for the exit up to half the grace, then sends SIGTERM,
/// waits the other half, then SIGKILL: the waiting stop's sequence, run in the background.
/// A watch outlives this process: when the process exits with watches pending, each is handed to a detached
/// <c>/bin/sh</c> watchdog that carries the rest of the sequence out (only on the same process: pid and start time
/// from <c>/proc</c>). Linux only (the watchdog reads <c>/proc</c>); elsewhere the stop waits for the exit.
/// </summary>
internal static class KernelExitWatch
{
    public static bool IsSupported => OperatingSystem.IsLinux();

    private static readonly ConcurrentDictionary<int, Pending> Watches = new();
    private static int _handOffRegistered;

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(25);

    /// <summary>
    /// The watchdog: $1 pid, $2 its start time in clock ticks (/proc/pid/stat field 22), $3 seconds until SIGTERM,
    /// $4 seconds from SIGTERM to SIGKILL. "ours" holds while that pid is the same live (not zombie) process.
    /// </summary>
    private const string WatchdogScript =
        "pid=$1; start=$2; ours() { s=$(cat /proc/$pid/stat 2>/dev/null) || return 1; s=${s##*) }; set -- $s; " +
        "[ \"$1\" != Z ] && [ \"$1\" != X ] && [ \"${20}\" = \"$start\" ]; }; " +
        "sleep $3; ours || exit 0; kill -TERM -- -$pid 2>/dev/null || kill -TERM $pid; " +
        "sleep $4; ours && { kill -KILL -- -$pid 2>/dev/null || kill -KILL $pid; }; exit 0";

    private sealed record Pending(int Pid, DateTimeOffset? StartTime, long StartTicks, DateTime TermAt, TimeSpan KillAfter, CancellationTokenSource Stop);

    /// <summary>Watches the process <paramref name="pid"/> (which has acknowledged a shutdown) until it exits,
    /// enforcing the exit after <paramref name="grace"/> (SIGTERM at half, SIGKILL at the end).</summary>
    public static void Start(int pid, DateTimeOffset? startTime, TimeSpan grace)
    {
        if (!IsSupported || ReadStartTicks(pid) is not { } ticks) return; // gone already
        if (Interlocked.Exchange(ref _handOffRegistered, 1) == 0)
            AppDomain.CurrentDomain.ProcessExit += (_, _) => HandOff(null);
        var half = TimeSpan.FromTicks(grace.Ticks / 2);
        var pending = new Pending(pid, startTime, ticks, DateTime.UtcNow + half, half, new CancellationTokenSource());
        Watches[pid] = pending;
        _ = Task.Run(() => WatchAsync(pending));
    }

    /// <summary>Whether this process still watches <paramref name="pid"/> (tests).</summary>
    internal static bool IsWatching(int pid) => Watches.ContainsKey(pid);

    private static async Task WatchAsync(Pending p)
    {
        try
        {
            if (await ExitedByAsync(p, p.TermAt).ConfigureAwait(false)) return;
            if (IsSame(p)) ProcessSignals.SendToGroup(p.Pid, ProcessSignals.SIGTERM);
            if (await ExitedByAsync(p, DateTime.UtcNow + p.KillAfter).ConfigureAwait(false)) return;
            if (IsSame(p)) ProcessSignals.SendToGroup(p.Pid, ProcessSignals.SIGKILL);
        }
        catch (OperationCanceledException) { /* handed off */ }
        finally
        {
            Watches.TryRemove(new KeyValuePair<int, Pending>(p.Pid, p));
        }
    }

    private static async Task<bool> ExitedByAsync(Pending p, DateTime deadline)
    {
        while (IsSame(p))
        {
            if (DateTime.UtcNow >= deadline) return false;
            await Task.Delay(PollInterval, p.Stop.Token).ConfigureAwait(false);
        }
        return true;
    }

    private static bool IsSame(Pending p) => ProcessIdentity.Check(p.Pid, p.StartTime) == ProcessStatus.Alive && ReadStartTicks(p.Pid) == p.StartTicks;

    /// <summary>At process exit: every pending watch goes to a detached watchdog, and stops here. Tests hand off only
    /// the kernel they own (<paramref name="onlyPid"/>): other tests of the same process keep their watches.</summary>
    internal static void HandOff(int? onlyPid)
    {
        StartupTrace.Mark("exit watch: hand-off");
        foreach (var p in Watches.Values)
        {
            if (onlyPid is { } only && p.Pid != only) continue;
            p.Stop.Cancel();
            if (!Watches.TryRemove(new KeyValuePair<int, Pending>(p.Pid, p)) || !IsSame(p)) continue;
            var untilTerm = p.TermAt - DateTime.UtcNow;
            try { StartWatchdog(p.Pid, p.StartTicks, untilTerm > TimeSpan.Zero ? untilTerm : TimeSpan.Zero, p.KillAfter); }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or IOException)
            {
                // Nothing more can be done from a process that is ending; Sync-KernelSession's orphan search is left.
            }
        }
        StartupTrace.Mark("exit watch: handed off");
    }

    internal static void StartWatchdog(int pid, long startTicks, TimeSpan untilTerm, TimeSpan killAfter)
    {
        // The outer shell backgrounds the watchdog in a session of its own (it survives this process and its
        // terminal) with no descriptor of ours, so whoever reads our output is not kept waiting, and exits at once.
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("setsid /bin/sh -c \"$0\" jupyterkernels-exit-watch \"$@\" </dev/null >/dev/null 2>&1 &");
        info.ArgumentList.Add(WatchdogScript);
        info.ArgumentList.Add(pid.ToString(CultureInfo.InvariantCulture));
        info.ArgumentList.Add(startTicks.ToString(CultureInfo.InvariantCulture));
        info.ArgumentList.Add(Seconds(untilTerm));
        info.ArgumentList.Add(Seconds(killAfter));
        info.RedirectStandardInput = info.RedirectStandardOutput = info.RedirectStandardError = true;
        using var shell = Process.Start(info);
    }

    private static string Seconds(TimeSpan t) => Math.Max(0, t.TotalSeconds).ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>Field 22 of /proc/pid/stat (after the parenthesised command name, which may hold spaces).</summary>
    internal static long? ReadStartTicks(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields.Length > 19 && long.TryParse(fields[19], NumberStyles.Integer, CultureInfo.InvariantCulture, out var ticks) ? ticks : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }
}
