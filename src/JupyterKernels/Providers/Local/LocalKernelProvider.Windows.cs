using System.ComponentModel;
using System.Runtime.Versioning;
using JupyterKernels.Processes;

namespace JupyterKernels.Providers.Local;

// Interrupting a Windows kernel through its interrupt event (WindowsInterruptEvent), as jupyter_client does.
internal sealed partial class LocalKernelProvider
{
    /// <summary>
    /// Sets the interrupt event of a kernel proven ours (a reused pid belongs to someone else). ipykernel on Windows
    /// answers interrupt_request without interrupting anything, so this is the only interrupt that works there for
    /// kernelspecs of interrupt_mode "signal" (the default).
    /// </summary>
    [SupportedOSPlatform("windows")]
    private static void InterruptThroughEvent(KernelRecord kernel)
    {
        var data = LocalKernelData.Of(kernel);
        if (data.Pid is not { } pid || data.InterruptEvent is not { } interruptEvent
            || ProcessIdentity.Check(pid, data.ProcessStartTime) != ProcessStatus.Alive)
            throw new KernelException(ErrorIds.KernelInterruptFailed, KernelErrorCategory.ResourceUnavailable,
                $"Kernel {kernel.Id} could not be interrupted: its process {data.Pid} is gone.", kernel.Id);
        try
        {
            WindowsInterruptEvent.Signal(pid, interruptEvent);
        }
        catch (Win32Exception e)
        {
            var category = e.NativeErrorCode == WindowsNative.ERROR_ACCESS_DENIED ? KernelErrorCategory.PermissionDenied : KernelErrorCategory.ResourceUnavailable;
            throw new KernelException(ErrorIds.KernelInterruptFailed, category,
                $"Kernel {kernel.Id} could not be interrupted: its interrupt event in process {pid} could not be set (Win32 error {e.NativeErrorCode}: {e.Message}).", kernel.Id, e);
        }
    }
}
