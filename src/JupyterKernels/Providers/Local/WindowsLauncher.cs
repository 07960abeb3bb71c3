using System.Collections.Concurrent;
using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using static JupyterKernels.Processes.WindowsNative;
using JupyterKernels.Processes;

namespace JupyterKernels.Providers.Local;

/// <summary>
/// Starts a kernel on Windows as jupyter_client's <c>launch_kernel</c> does (launcher.py), detached for us: its own
/// process group, no console window, stdin from NUL, stdout and stderr appended to the kernel's log (so a kernel
/// that fails to start says why, as on POSIX), and an inheritable interrupt event named to it by
/// <c>JPY_INTERRUPT_EVENT</c> / <c>IPY_INTERRUPT_EVENT</c> (win_interrupt.py's <c>create_interrupt_event</c>; ipykernel's
/// <c>ParentPollerWindows</c> waits on it). Only those three handles are inherited (a handle list), so the kernel holds
/// no handle of the PowerShell process that started it. The event's value in the kernel's handle table is recorded:
/// any process of the same user interrupts by duplicating it out of the kernel (<see cref="WindowsInterruptEvent"/>).
/// </summary>
[SupportedOSPlatform("windows")]
internal static class WindowsLauncher
{
    /// <summary>Process handles of kernels still starting, kept so that one that exits during its start can tell its exit code.</summary>
    private static readonly ConcurrentDictionary<int, SafeProcessHandle> Starting = new();

    public static LaunchedProcess Start(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string?> environment,
        string? workingDirectory, string logFile)
    {
        var inherit = new SECURITY_ATTRIBUTES { nLength = Marshal.SizeOf<SECURITY_ATTRIBUTES>(), bInheritHandle = 1 };
        using var nul = CreateFileW("NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, ref inherit, OPEN_EXISTING, 0, IntPtr.Zero);
        if (nul.IsInvalid) throw new Win32Exception(Marshal.GetLastPInvokeError(), "cannot open NUL for the kernel's stdin");
        using var log = CreateFileW(logFile, FILE_APPEND_DATA | SYNCHRONIZE, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
            ref inherit, OPEN_ALWAYS, 0, IntPtr.Zero);
        if (log.IsInvalid) throw new Win32Exception(Marshal.GetLastPInvokeError(), $"cannot open the kernel's log {logFile}");
        using var interrupt = CreateEventW(ref inherit, false, false, null);
        if (interrupt.IsInvalid) throw new Win32Exception(Marshal.GetLastPInvokeError(), "cannot create the kernel's interrupt event");

        long eventValue = interrupt.DangerousGetHandle().ToInt64();
        var env = new Dictionary<string, string?>(environment, StringComparer.OrdinalIgnoreCase)
        {
            [WindowsInterruptEvent.EnvironmentVariable] = eventValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [WindowsInterruptEvent.LegacyEnvironmentVariable] = eventValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };

        var handles = new[] { nul.DangerousGetHandle(), log.DangerousGetHandle(), interrupt.DangerousGetHandle() };
        var handleList = Marshal.AllocHGlobal(IntPtr.Size * handles.Length);
        IntPtr attributes = IntPtr.Zero;
        try
        {
            Marshal.Copy(handles, 0, handleList, handles.Length);
            IntPtr size = IntPtr.Zero;
            InitializeProcThreadAttributeList(IntPtr.Zero, 1, 0, ref size);
            attributes = Marshal.AllocHGlobal(size);
            if (!InitializeProcThreadAttributeList(attributes, 1, 0, ref size))
                throw new Win32Exception(Marshal.GetLastPInvokeError(), "InitializeProcThreadAttributeList");
            if (!UpdateProcThreadAttribute(attributes, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, handleList, (IntPtr)(IntPtr.Size * handles.Length), IntPtr.Zero, IntPtr.Zero))
                throw new Win32Exception(Marshal.GetLastPInvokeError(), "UpdateProcThreadAttribute");

            var startup = new STARTUPINFOEX
            {
                cb = Marshal.SizeOf<STARTUPINFOEX>(),
                dwFlags = STARTF_USESTDHANDLES,
                hStdInput = handles[0],
                hStdOutput = handles[1],
                hStdError = handles[1],
                lpAttributeList = attributes,
            };
            var commandLine = (WindowsCommandLine.Join(argv) + '\0').ToCharArray();
            if (!CreateProcessW(argv[0], commandLine, IntPtr.Zero, IntPtr.Zero, true,
                    CREATE_NEW_PROCESS_GROUP | CREATE_NO_WINDOW | CREATE_UNICODE_ENVIRONMENT | EXTENDED_STARTUPINFO_PRESENT,
                    WindowsCommandLine.EnvironmentBlock(env), workingDirectory, ref startup, out var process))
            {
                int error = Marshal.GetLastPInvokeError();
                throw new Win32Exception(error, $"{DescribeLaunchError(error)} (Win32 error {error}: {new Win32Exception(error).Message})");
            }
            CloseHandle(process.hThread);
            var handle = new SafeProcessHandle(process.hProcess, ownsHandle: true);
            if (!Starting.TryAdd(process.dwProcessId, handle)) handle.Dispose();
            return new LaunchedProcess(process.dwProcessId, eventValue);
        }
        finally
        {
            if (attributes != IntPtr.Zero) { DeleteProcThreadAttributeList(attributes); Marshal.FreeHGlobal(attributes); }
            Marshal.FreeHGlobal(handleList);
        }
    }

    /// <summary>What a CreateProcess error code means for a kernelspec's program (by code: messages are localized).</summary>
    public static string DescribeLaunchError(int error) => error switch
    {
        ERROR_FILE_NOT_FOUND or ERROR_PATH_NOT_FOUND => "the program was not found",
        ERROR_ACCESS_DENIED => "access to the program was denied",
        ERROR_BAD_EXE_FORMAT => "the program is not a Windows executable for this machine",
        _ => "CreateProcess failed",
    };

    /// <summary>" (exit code N…)" for a kernel of ours that exited during its start, else "". Releases its handle.</summary>
    public static string ExitNote(int pid)
    {
        if (!Starting.TryRemove(pid, out var handle)) return "";
        using (handle)
        {
            if (!GetExitCodeProcess(handle, out var code) || code == STILL_ACTIVE) return "";
            return code switch
            {
                // The App Execution Alias of the Microsoft Store's python.exe exits so when Python is not installed.
                9009 => " (exit code 9009: the program is the Microsoft Store's stand-in for Python, not an installed Python; install Python or point the kernelspec at a real python.exe)",
                _ => $" (exit code {unchecked((int)code)})",
            };
        }
    }

    /// <summary>Forgets the handle of a kernel whose start has ended, either way.</summary>
    public static void Release(int pid)
    {
        if (Starting.TryRemove(pid, out var handle)) handle.Dispose();
    }
}

/// <summary>A kernel process just launched: its pid and, on Windows, its interrupt event's value in its own handle table.</summary>
internal readonly record struct LaunchedProcess(int Pid, long? InterruptEvent);
