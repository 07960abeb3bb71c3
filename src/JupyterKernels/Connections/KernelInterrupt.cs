using System.ComponentModel;
using JupyterKernels.Processes;

namespace JupyterKernels.Connections;

/// <summary>
/// How a kernel is interrupted, as its provider describes it: data, not a callback, so that the client that gives up on
/// an execution (timeout, Ctrl+C) interrupts the kernel by itself, through the layers below it (a signal to a process,
/// its own control channel, the server that hosts its channels), and the provider's explicit interrupt
/// (Stop-KernelExecution) does exactly the same through <see cref="SendAsync"/>. Nothing calls back up into a provider
/// or the service, and no request comes back down to the client that asked.
/// </summary>
internal abstract record KernelInterrupt
{
    private KernelInterrupt() { }

    /// <summary>interrupt_request on the control channel (interrupt_mode "message"; every kernel on Windows without an event).</summary>
    public sealed record Message : KernelInterrupt;

    /// <summary>SIGINT to the kernel's process group, only while the pid is still the process we recorded.</summary>
    public sealed record Signal(KernelProcess? Process) : KernelInterrupt;

    /// <summary>Windows: the interrupt event the kernel inherited (<see cref="WindowsInterruptEvent"/>), as jupyter_client does.</summary>
    public sealed record WindowsEvent(KernelProcess? Process, long Event) : KernelInterrupt;

    /// <summary>The server that hosts the kernel's channels interrupts it (Jupyter Server's POST …/interrupt).</summary>
    public sealed record ThroughServer(IKernelWebSocketServer Server, string RemoteKernelId) : KernelInterrupt;

    /// <summary>How long an interrupt_request waits for its reply.</summary>
    public static readonly TimeSpan MessageTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A stopped process runs nothing: an interrupt (signal, or a message its control thread reads later) would wait in
    /// it and stop whatever it runs when it continues; so nothing is sent, and KernelInterruptFailed says why.
    /// </summary>
    public static void ThrowIfStopped(string kernelId, KernelProcess? process)
    {
        if (process is { } p && ProcessIdentity.IsStopped(p.Pid))
            throw new KernelException(ErrorIds.KernelInterruptFailed, KernelErrorCategory.ResourceUnavailable,
                $"Kernel {kernelId} was not interrupted: its process {p.Pid} is stopped (SIGSTOP or a debugger). Nothing was sent; " +
                "when it continues it finishes what it runs. Continue it (kill -CONT) and interrupt again if needed.", kernelId);
    }

    /// <summary>Sends the interrupt (after <see cref="ThrowIfStopped"/>). <paramref name="client"/> carries an
    /// interrupt_request (<see cref="Message"/>); the other routes need none.</summary>
    public static async Task SendAsync(KernelInterrupt route, string kernelId, KernelProcess? process, KernelClient? client, CancellationToken cancellationToken)
    {
        ThrowIfStopped(kernelId, process);
        switch (route)
        {
            case Message:
                if (client is null) throw new ArgumentNullException(nameof(client));
                await client.InterruptAsync(MessageTimeout, cancellationToken).ConfigureAwait(false);
                return;
            case Signal signal:
                if (signal.Process is not { IsOurs: true } ours || !ProcessSignals.SendToGroup(ours.Pid, ProcessSignals.SIGINT))
                    throw Gone(kernelId, signal.Process?.Pid);
                return;
            case WindowsEvent windows when OperatingSystem.IsWindows():
                if (windows.Process is not { IsOurs: true } kernelProcess) throw Gone(kernelId, windows.Process?.Pid);
                try
                {
                    WindowsInterruptEvent.Signal(kernelProcess.Pid, windows.Event);
                }
                catch (Win32Exception e)
                {
                    var category = e.NativeErrorCode == WindowsNative.ERROR_ACCESS_DENIED ? KernelErrorCategory.PermissionDenied : KernelErrorCategory.ResourceUnavailable;
                    throw new KernelException(ErrorIds.KernelInterruptFailed, category,
                        $"Kernel {kernelId} could not be interrupted: its interrupt event in process {kernelProcess.Pid} could not be set (Win32 error {e.NativeErrorCode}: {e.Message}).", kernelId, e);
                }
                return;
            case ThroughServer server:
                await server.Server.InterruptKernelAsync(server.RemoteKernelId, cancellationToken).ConfigureAwait(false);
                return;
            default:
                throw new PlatformNotSupportedException($"Interrupt route {route} is not available on this platform.");
        }
    }

    private static KernelException Gone(string kernelId, int? pid)
        => new(ErrorIds.KernelInterruptFailed, KernelErrorCategory.ResourceUnavailable,
            $"Kernel {kernelId} could not be interrupted: its process {pid} is gone.", kernelId);
}

/// <summary>A local kernel's process as recorded at launch: a pid alone is no identity, the start time tells a reused pid.</summary>
internal readonly record struct KernelProcess(int Pid, DateTimeOffset? StartTime)
{
    /// <summary>The pid exists and is still the process we recorded.</summary>
    public bool IsOurs => ProcessIdentity.Check(Pid, StartTime) == ProcessStatus.Alive;

    /// <summary>Why the process is definitely gone, or null (alive, or not known).</summary>
    public string? GoneReason => ProcessIdentity.Check(Pid, StartTime) switch
    {
        ProcessStatus.Gone => $"its process {Pid} exited",
        ProcessStatus.Reused => $"its process {Pid} is gone (the pid now belongs to another program)",
        _ => null,
    };

    /// <summary>Why the process runs nothing now (SIGSTOP, a debugger), or null.</summary>
    public string? StoppedReason => ProcessIdentity.IsStopped(Pid) ? $"its process {Pid} is stopped" : null;
}
