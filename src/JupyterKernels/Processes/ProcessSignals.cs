using System.Runtime.InteropServices;

namespace JupyterKernels.Processes;

/// <summary>POSIX signals to a kernel's process group (the kernel leads its own group, so its children get them too).</summary>
internal static partial class ProcessSignals
{
    public const int SIGINT = 2;
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    /// <summary>Signals the process group led by <paramref name="pid"/>, falling back to the process alone
    /// (a kernel started by someone else may not lead a group). Returns false when nothing received it.</summary>
    public static bool SendToGroup(int pid, int signal)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("POSIX signals are not available on Windows.");
        if (pid <= 1) return false;
        return Kill(-pid, signal) == 0 || Kill(pid, signal) == 0;
    }

    /// <summary>kill(pid, 0): does a process with this pid exist (it may be someone else's after pid reuse)?</summary>
    public static bool Exists(int pid)
    {
        if (OperatingSystem.IsWindows()) return WindowsProcessProbe.Probe(pid).Status != ProcessStatus.Gone;
        if (pid <= 0) return false;
        // EPERM means it exists but belongs to another user: still "exists".
        return Kill(pid, 0) == 0 || Marshal.GetLastPInvokeError() == 1;
    }
}
