namespace JupyterKernels.Connections;

/// <summary>How a <see cref="KernelClient"/> watches its kernel. The callbacks come from the provider, which knows
/// whether the kernel is a local process or a remote one.</summary>
internal sealed record KernelClientOptions
{
    /// <summary>Interrupts the kernel (signal or interrupt_request, as its spec says); used on cancel and timeout.</summary>
    public Func<CancellationToken, Task>? Interrupt { get; init; }

    /// <summary>Definite evidence that the kernel cannot run now (local: its process is stopped, SIGSTOP or a debugger):
    /// returns why, or null. Giving up on an execution never interrupts such a kernel: the interrupt would wait in it
    /// and, when it continues, stop whatever it runs then (ipykernel then aborts the requests queued behind it, other
    /// clients' too). Null = no such evidence exists (remote kernels).</summary>
    public Func<CancellationToken, ValueTask<string?>>? CheckSuspended { get; init; }

    /// <summary>Definite liveness check (local: the process still exists). Null = rely on the heartbeat alone.
    /// Returns null when alive, else why it is dead (e.g. "process exited with code 1").</summary>
    public Func<CancellationToken, ValueTask<string?>>? CheckDead { get; init; }

    /// <summary>Asked when <see cref="CheckDead"/> reports the process gone: returns the evidence when the kernel was
    /// restarted (by another client) rather than dead, so calls end with KernelRestarted, not KernelDied.</summary>
    public Func<CancellationToken, ValueTask<string?>>? CheckRestarted { get; init; }

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
