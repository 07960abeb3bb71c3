namespace JupyterKernels.Transport.Zmq;

/// <summary>
/// A ZeroMQ socket over ZMTP 3.1 (NULL mechanism, TCP). Async all the way; every wait takes a token.
/// Messages are lists of frames. SUB delivers only subscribed topics.
/// Thread safety: SendAsync may be called concurrently (sends are serialised); ReceiveAsync from one reader at a time.
/// </summary>
internal interface IZmqSocket : IAsyncDisposable
{
    /// <summary>Connects (and keeps reconnecting after a drop) to <c>tcp://host:port</c>. Returns once the
    /// connect is scheduled; messages sent before the peer is up are queued (DEALER/REQ semantics).</summary>
    ValueTask ConnectAsync(string endpoint, CancellationToken cancellationToken = default);

    /// <summary>Sends one multipart message. Throws <see cref="ZmqException"/> on a REQ state violation
    /// or after disposal.</summary>
    ValueTask SendAsync(IReadOnlyList<ReadOnlyMemory<byte>> frames, CancellationToken cancellationToken = default);

    /// <summary>Receives one multipart message.</summary>
    ValueTask<ZmqMessage> ReceiveAsync(CancellationToken cancellationToken = default);

    /// <summary>SUB: subscribe to a topic prefix (empty = everything).</summary>
    void Subscribe(ReadOnlySpan<byte> prefix);

    /// <summary>SUB: remove a subscription.</summary>
    void Unsubscribe(ReadOnlySpan<byte> prefix);

    /// <summary>REQ only: forget the pending request so a new one can be sent on a fresh connection
    /// (what jupyter_client does by recreating its heartbeat socket after a missed pong).</summary>
    void ResetRequestState();

    /// <summary>Connection-level events (connected, disconnected, handshake failed, frame too large), for diagnostics.</summary>
    event EventHandler<ZmqConnectionEvent>? ConnectionEvent;
}
