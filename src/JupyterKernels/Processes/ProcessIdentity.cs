using System.Diagnostics;

namespace JupyterKernels.Processes;

/// <summary>
/// Tells our kernel process from whatever reused its pid: a pid alone is not an identity. We record the process
/// start time at launch and compare it before trusting (or signalling) the pid again.
/// </summary>
internal static class ProcessIdentity
{
    private static readonly TimeSpan StartTimeTolerance = TimeSpan.FromSeconds(2);

    public static DateTimeOffset? TryGetStartTime(int pid)
    {
        if (OperatingSystem.IsWindows()) return WindowsProcessProbe.TryGetStartTime(pid);
        try
        {
            using var process = Process.GetProcessById(pid);
            return new DateTimeOffset(process.StartTime.ToUniversalTime(), TimeSpan.Zero);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>Alive = the pid exists, is not a zombie, and (when we know it) started when our kernel started.</summary>
    public static ProcessStatus Check(int? pid, DateTimeOffset? recordedStart)
    {
        if (pid is not { } id || id <= 0) return ProcessStatus.Unknown;
        if (OperatingSystem.IsWindows()) return WindowsProcessProbe.Check(id, recordedStart, StartTimeTolerance);
        if (!ProcessSignals.Exists(id) || IsZombie(id)) return ProcessStatus.Gone;
        if (recordedStart is { } expected)
        {
            var actual = TryGetStartTime(id);
            if (actual is null) return ProcessStatus.Unknown;
            if ((actual.Value - expected).Duration() > StartTimeTolerance) return ProcessStatus.Reused;
        }
        return ProcessStatus.Alive;
    }

    /// <summary>Linux: a zombie still answers kill(pid, 0) until its parent reaps it; it is dead all the same.</summary>
    private static bool IsZombie(int pid) => State(pid) is 'Z' or 'X';

    /// <summary>Linux: the process is stopped (SIGSTOP, SIGTSTP, or a debugger's trace stop): it runs nothing, and a
    /// signal sent now waits in it until it continues. Elsewhere: never known, false.</summary>
    public static bool IsStopped(int? pid) => pid is > 0 and { } id && State(id) is 'T' or 't';

    /// <summary>The state letter of /proc/pid/stat (R, S, D, T, t, Z, X...); null when not known.</summary>
    private static char? State(int pid)
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var close = stat.LastIndexOf(')');
            return close > 0 && close + 2 < stat.Length ? stat[close + 2] : null;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}

internal enum ProcessStatus
{
    Alive,
    /// <summary>No such process: a definite "gone".</summary>
    Gone,
    /// <summary>The pid now belongs to another process: our kernel is gone, and that process must not be touched.</summary>
    Reused,
    Unknown,
}
