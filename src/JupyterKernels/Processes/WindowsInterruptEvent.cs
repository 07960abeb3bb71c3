using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using static JupyterKernels.Processes.WindowsNative;

namespace JupyterKernels.Processes;

/// <summary>
/// Interrupting a Windows kernel the way jupyter_client does (win_interrupt.py's <c>send_interrupt</c>: SetEvent on the
/// event the kernel inherited). jupyter_client keeps the handle in the process that launched the kernel; here any
/// PowerShell process of the same user interrupts, so the event is reached through the kernel itself: the value its
/// handle has in the kernel's table is recorded at launch, and DuplicateHandle copies it out of the kernel process
/// (PROCESS_DUP_HANDLE, granted to its owner) into ours. The caller has proved the pid is our kernel first.
/// </summary>
[SupportedOSPlatform("windows")]
internal static class WindowsInterruptEvent
{
    /// <summary>Read by ipykernel (kernelapp.py) and by jupyter_client's launcher; IPY_ is the older name, still set.</summary>
    public const string EnvironmentVariable = "JPY_INTERRUPT_EVENT", LegacyEnvironmentVariable = "IPY_INTERRUPT_EVENT";

    /// <summary>Sets the kernel's interrupt event. Throws <see cref="Win32Exception"/> (its NativeErrorCode says why) when it cannot.</summary>
    public static void Signal(int pid, long eventValue)
    {
        using var kernel = OpenProcess(PROCESS_DUP_HANDLE, false, pid);
        if (kernel.IsInvalid) throw new Win32Exception(Marshal.GetLastPInvokeError());
        if (!DuplicateHandle(kernel, (IntPtr)eventValue, GetCurrentProcess(), out var local, 0, false, DUPLICATE_SAME_ACCESS))
            throw new Win32Exception(Marshal.GetLastPInvokeError());
        using var handle = new SafeWaitHandle(local, ownsHandle: true);
        if (!SetEvent(handle)) throw new Win32Exception(Marshal.GetLastPInvokeError());
    }
}
