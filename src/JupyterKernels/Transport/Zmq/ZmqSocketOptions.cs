namespace JupyterKernels.Transport.Zmq;

/// <summary>Per-socket settings. Defaults follow libzmq where it matters for interop.</summary>
internal sealed record ZmqSocketOptions
{
    /// <summary>Routing id announced in READY ("Identity" property); DEALER/REQ only. Empty = none.</summary>
    public ReadOnlyMemory<byte> RoutingId { get; init; }

    /// <summary>Largest frame accepted from a peer; a bigger one closes that connection (libzmq ZMQ_MAXMSGSIZE).</summary>
    public long MaxFrameSize { get; init; } = 256L * 1024 * 1024;

    /// <summary>Delay before reconnecting after a connected peer went away, and before retrying a refused connect.</summary>
    public TimeSpan ReconnectInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Upper bound of the reconnect back-off (libzmq ZMQ_RECONNECT_IVL_MAX). libzmq's default is no
    /// back-off (a steady 100 ms): a kernel that opens its ports 1.6 s after launch must be seen at once, not at the
    /// next doubled retry (measured: start-to-ready went from 1.19x to 0.96x jupyter_client).</summary>
    public TimeSpan ReconnectIntervalMax { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long DisposeAsync may spend flushing queued outgoing messages (libzmq ZMQ_LINGER).</summary>
    public TimeSpan Linger { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Time allowed for the greeting + handshake of a new connection before it is dropped.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Outgoing messages queued per peer (or while no peer is connected) before SendAsync waits (ZMQ_SNDHWM).</summary>
    public int SendHighWatermark { get; init; } = 1000;

    /// <summary>Incoming messages queued before the reader stops reading from peers (ZMQ_RCVHWM).</summary>
    public int ReceiveHighWatermark { get; init; } = 1000;

    /// <summary>ZMTP 3.1 heartbeat (libzmq ZMQ_HEARTBEAT_IVL): a connection that has received nothing for this long
    /// sends PING (again every interval while the silence lasts). Only to peers that negotiated ZMTP 3.1; zero = off.
    /// Unlike libzmq (off by default) it is on: a frozen peer (SIGSTOP, a hung host, a half-open TCP connection) is
    /// otherwise never noticed.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A connection that has received nothing (no PONG, no message) for this long is closed and reported
    /// (<see cref="ZmqConnectionEventKind.HeartbeatTimeout"/>); a connect endpoint then reconnects as after any drop
    /// (libzmq ZMQ_HEARTBEAT_TIMEOUT). The default reports a frozen peer within 3 s: the check runs when the timeout
    /// falls due, so silence is seen at 2.5 s after the last byte plus timer latency.</summary>
    public TimeSpan HeartbeatTimeout { get; init; } = TimeSpan.FromSeconds(2.5);

    /// <summary>TTL announced in our PINGs (libzmq ZMQ_HEARTBEAT_TTL): the peer may drop the connection if it hears
    /// nothing from us for this long. Zero = none (a debugger-paused PowerShell keeps its connections).</summary>
    public TimeSpan HeartbeatTtl { get; init; } = TimeSpan.Zero;
}
