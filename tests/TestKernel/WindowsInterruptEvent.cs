using System.Globalization;
using System.Runtime.InteropServices;

namespace JupyterKernels.TestKernel;

/// <summary>
/// Windows: the interrupt ipykernel's ParentPollerWindows (parentpoller.py) honours. The launcher passes an inheritable
/// event's handle value in JPY_INTERRUPT_EVENT (IPY_INTERRUPT_EVENT, older); a thread waits on it and interrupts the
/// main shell each time it is set. As in ipykernel on Windows, interrupt_request is then answered but does nothing,
/// so a client that only sends the message is seen not to interrupt.
/// </summary>
internal static class WindowsInterruptEvent
{
    private const uint WAIT_OBJECT_0 = 0, INFINITE = 0xFFFFFFFF;

    [DllImport("kernel32.dll", SetLastError = true)]
    private static extern uint WaitForSingleObject(IntPtr handle, uint milliseconds);

    /// <summary>The event's handle, when this process is on Windows and was given one.</summary>
    public static IntPtr? FromEnvironment()
    {
        if (!OperatingSystem.IsWindows()) return null;
        var text = Environment.GetEnvironmentVariable("JPY_INTERRUPT_EVENT") ?? Environment.GetEnvironmentVariable("IPY_INTERRUPT_EVENT");
        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value != 0 ? (IntPtr)value : null;
    }

    public static void Watch(IntPtr handle, Action interrupt)
    {
        var thread = new Thread(() =>
        {
            while (WaitForSingleObject(handle, INFINITE) == WAIT_OBJECT_0)
            {
                Console.Error.WriteLine("test kernel: interrupt event set");
                interrupt();
            }
        }) { IsBackground = true, Name = "interrupt event" };
        thread.Start();
    }
}
