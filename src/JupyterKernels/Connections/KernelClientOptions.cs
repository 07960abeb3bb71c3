namespace JupyterKernels.Connections;

/// <summary>How a <see cref="KernelClient"/> watches and interrupts its kernel: data its provider describes (whether the
/// kernel is a local process, how it is interrupted), which the client acts on through the layers below it. No member is
/// a callback: nothing the client does calls back up into a provider or the service.</summary>
internal sealed record KernelClientOptions
{
    /// <summary>How to interrupt the kernel on cancel and timeout (signal, interrupt_request, the server's REST call, as
    /// its spec and provider say); null = giving up never interrupts.</summary>
    public KernelInterrupt? Interrupt { get; init; }

    /// <summary>The kernel's local process, when it has one. It gives the definite evidence the heartbeat cannot: the
    /// process is gone (death), or stopped (SIGSTOP or a debugger: it cannot run now). Giving up on an execution never
    /// interrupts a stopped kernel: the interrupt would wait in it and, when it continues, stop whatever it runs then
    /// (ipykernel then aborts the requests queued behind it, other clients' too). Null = no such evidence exists
    /// (remote kernels): rely on the heartbeat alone.</summary>
    public KernelProcess? Process { get; init; }

    /// <summary>When an execution has been silent (nothing on IOPub for it) this long, a control kernel_info_request
    /// checks that the kernel process is still the same one (a restart through a server's REST API announces
    /// nothing); at most one per interval. Zero = never.</summary>
    public TimeSpan SessionProbeInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the death watch runs while requests are pending (it sleeps when nothing is pending).</summary>
    public TimeSpan WatchInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Heartbeat misses in a row that count as death (each miss waits <see cref="HeartbeatTimeout"/>).</summary>
    public int HeartbeatMissesAllowed { get; init; } = 3;

    public TimeSpan HeartbeatTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>After the reply, how long to wait without any IOPub message for the request before completing
    /// anyway (a kernel that never publishes idle must not hang us). Reset by every IOPub message of the request.</summary>
    public TimeSpan IdleGrace { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>After the request's IOPub idle, how long to wait for an execute_reply that has not come before the
    /// execution fails with ExecutionReplyMissing (a kernel that drops a request must not hang the caller).</summary>
    public TimeSpan ReplyGrace { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>What the kernel is known (from its record) to answer on which channel; null = to be learned.</summary>
    public KernelChannelCapabilities? KnownChannels { get; init; }
}
