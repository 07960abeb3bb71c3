using System.Diagnostics;
using System.Net.Sockets;
using System.Threading.Channels;

namespace JupyterKernels.Transport.Zmq;

/// <summary>
/// One TCP connection speaking ZMTP: greeting, NULL handshake, then a read loop (decode frames, assemble
/// messages, answer PING, pass SUBSCRIBE/CANCEL up) and a write loop (drain the outgoing queue and coalesce
/// queued messages into few socket writes), plus direct writes from the sender's thread when the queue is empty.
/// Any protocol violation closes only this connection. I/O goes through <see cref="NonBlockingSocket"/>, so the
/// read loop runs on that connection's read thread, woken by poll(), without thread-pool hand-offs.
/// </summary>
internal sealed class ZmtpConnection
{
    /// <summary>Multipart messages longer than this are a protocol error (bounds memory on MORE floods).</summary>
    internal const int MaxFramesPerMessage = 65536;

    // Buffers start small (a kernel client holds five idle connections: 2.5 MiB of fixed 256 KiB buffers per
    // kernel was measured) and double up to 256 KiB only while traffic fills them, so that under a flood several
    // 64 KiB messages still move per syscall. Bodies bigger than half the read buffer are read straight into their
    // final array instead.
    private const int InitialBufferSize = 16 * 1024;
    private const int MaxBufferSize = 256 * 1024;
    private const int MaxBytesPerWrite = 1024 * 1024;
    private const int MaxSegmentsPerWrite = 64;

    private readonly ZmqSocketBase _owner;
    private readonly NonBlockingSocket _socket;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly FrameDecoder _decoder;
    private volatile bool _directWrites;
    // A sender that sends again within this gap is streaming: its messages are left to the write loop, which
    // batches them into few system calls (a system call per 64 B message cut a flood's rate by 4; bench: zmtp).
    private static readonly long StreamingGap = Stopwatch.Frequency / 50_000; // 20 µs
    private long _lastSendAttempt;
    private byte[] _readBuffer = new byte[InitialBufferSize];
    private int _readStart;
    private int _readEnd;

    public ZmtpConnection(ZmqSocketBase owner, NonBlockingSocket socket, string endpoint, bool outbound)
    {
        _owner = owner;
        _socket = socket;
        _decoder = new FrameDecoder(owner.Options.MaxFrameSize);
        Endpoint = endpoint;
        Outbound = outbound;
    }

    public string Endpoint { get; }
    public bool Outbound { get; }

    /// <summary>Effective minor version (min of ours and the peer's).</summary>
    public int PeerMinor { get; private set; }
    public string PeerSocketType { get; private set; } = "";
    public byte[] PeerIdentity { get; private set; } = Array.Empty<byte>();

    /// <summary>ROUTER: the routing id this peer is known by.</summary>
    public byte[] RoutingId { get; set; } = Array.Empty<byte>();

    /// <summary>Where the write loop takes encoded messages from (a per-connection or a socket-wide queue).</summary>
    public ChannelReader<WireMessage>? WriteSource { get; set; }

    /// <summary>Byte budget of a shared queue; released as messages are dequeued for writing.</summary>
    public ByteBudget? WriteBudget { get; set; }

    /// <summary>The per-connection queue, when the socket type uses one.</summary>
    public Channel<WireMessage>? Outgoing { get; set; }

    /// <summary>PUB/XPUB: this subscriber's topics.</summary>
    public SubscriptionSet? Subscriptions { get; set; }

    /// <summary>Completes when the write loop has finished (used by DisposeAsync to flush within Linger).</summary>
    public Task WriteCompletion => _writeDone.Task;
    private readonly TaskCompletionSource _writeDone = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Runs the connection to its end. Returns true if the handshake completed (so a connector can reset its
    /// back-off). Never throws except for cancellation bookkeeping, which is swallowed.
    /// </summary>
    public async Task<bool> RunAsync(CancellationToken socketToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(socketToken);
        try
        {
            try
            {
                using var handshakeCts = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
                handshakeCts.CancelAfter(_owner.Options.HandshakeTimeout);
                // The socket's waits take no token: a timeout or disposal closes the socket, which ends them.
                using var closeOnTimeout = handshakeCts.Token.Register(CloseSocket);
                try
                {
                    await HandshakeAsync().ConfigureAwait(false);
                }
                catch (Exception) when (handshakeCts.IsCancellationRequested && !socketToken.IsCancellationRequested)
                {
                    throw new ZmtpProtocolException("handshake timed out");
                }
            }
            catch (Exception e) when (!socketToken.IsCancellationRequested || e is not OperationCanceledException)
            {
                // Any failure here (protocol, I/O, peer reset) ends this attempt only; the connector retries.
                if (!socketToken.IsCancellationRequested)
                    _owner.Raise(ZmqConnectionEventKind.HandshakeFailed, Endpoint, e.Message);
                _writeDone.TrySetResult();
                return false;
            }

            // Small writes go straight out from the sender's thread from here on (see TryWriteNow).
            _directWrites = true;
            if (!_owner.Attach(this))
            {
                _writeDone.TrySetResult();
                return true;
            }
            _owner.Raise(Outbound ? ZmqConnectionEventKind.Connected : ZmqConnectionEventKind.Accepted, Endpoint,
                $"peer {PeerSocketType}, ZMTP 3.{PeerMinor}");

            using var closeOnCancel = cts.Token.Register(CloseSocket);
            var readTask = ReadLoopAsync(cts.Token);
            var writeTask = WriteLoopAsync(cts.Token);
            var first = await Task.WhenAny(readTask, writeTask).ConfigureAwait(false);
            cts.Cancel();
            CloseSocket();
            string? error = null, reason = null;
            try { await first.ConfigureAwait(false); }
            catch (ZmtpProtocolException e) { error = e.Message; }
            catch (Exception e) { reason = e.Message; /* connection-level failure: reported as a plain disconnect */ }
            try { await Task.WhenAll(readTask, writeTask).ConfigureAwait(false); }
            catch (Exception) { /* the other loop was cancelled or failed because we closed the socket */ }

            _owner.Detach(this);
            if (error is not null) _owner.Raise(ZmqConnectionEventKind.ProtocolError, Endpoint, error);
            else if (!socketToken.IsCancellationRequested && !_owner.IsClosing) _owner.Raise(ZmqConnectionEventKind.Disconnected, Endpoint, reason);
            return true;
        }
        finally
        {
            _writeDone.TrySetResult();
            CloseSocket();
            // _writeLock is not disposed: a direct write finishing late may still release it (it owns no OS handle).
        }
    }

    public void CloseSocket()
    {
        _directWrites = false;
        _socket.Close();
    }

    private async Task HandshakeAsync()
    {
        // Greeting and READY go out together, before we read anything: libzmq waits for parts of our
        // greeting before sending the rest of its own, so waiting first would deadlock.
        var greeting = Greeting.Build();
        var ready = ZmtpCommands.BuildReady(_owner.WireName, _owner.Options.RoutingId.Span, _owner.SendsIdentity);
        var hello = new byte[greeting.Length + ready.Length];
        greeting.CopyTo(hello, 0);
        ready.CopyTo(hello, greeting.Length);
        await _socket.SendAsync(hello).ConfigureAwait(false);

        while (_readEnd < Greeting.Size)
        {
            int n = await _socket.ReceiveAsync(_readBuffer.AsMemory(_readEnd)).ConfigureAwait(false);
            if (n == 0) throw new ZmtpProtocolException("peer closed during greeting");
            _readEnd += n;
            Greeting.ValidatePartial(_readBuffer.AsSpan(0, Math.Min(_readEnd, Greeting.Size)));
        }
        var (major, minor) = Greeting.Parse(_readBuffer.AsSpan(0, Greeting.Size));
        PeerMinor = Greeting.NegotiateMinor(major, minor);
        _readStart = Greeting.Size;

        var frame = await ReadFrameAsync().ConfigureAwait(false);
        if (!frame.IsCommand) throw new ZmtpProtocolException("handshake: expected READY, got a message");
        ZmtpCommands.Split(frame.Body, out var name, out var data);
        if (name.SequenceEqual(ZmtpCommands.Error))
            throw new ZmtpProtocolException("handshake: peer sent ERROR");
        if (!name.SequenceEqual(ZmtpCommands.Ready))
            throw new ZmtpProtocolException("handshake: expected READY");
        var metadata = ZmtpCommands.ParseMetadata(data);
        if (metadata.TryGetValue("Socket-Type", out var type))
        {
            PeerSocketType = System.Text.Encoding.ASCII.GetString(type);
            if (!_owner.IsCompatible(PeerSocketType))
            {
                try { await _socket.SendAsync(ZmtpCommands.BuildError("Invalid socket type")).ConfigureAwait(false); }
                catch (Exception) { /* best effort */ }
                throw new ZmtpProtocolException($"handshake: incompatible peer socket type {PeerSocketType}");
            }
        }
        if (metadata.TryGetValue("Identity", out var identity)) PeerIdentity = identity;
    }

    private async ValueTask<ZmtpFrame> ReadFrameAsync()
    {
        while (true)
        {
            if (_readStart < _readEnd || !_decoder.InBody)
            {
                bool done = _decoder.TryDecode(_readBuffer.AsSpan(_readStart, _readEnd - _readStart), out int used, out var frame);
                _readStart += used;
                if (done) return frame;
            }
            await FillAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Reads more bytes: straight into a large body when one is pending, otherwise into the buffer.</summary>
    private async ValueTask FillAsync()
    {
        if (_readStart == _readEnd)
        {
            _readStart = _readEnd = 0;
        }
        else if (_readStart > 0)
        {
            // Only a partial header (< 9 bytes) can be left over here: move it to the front.
            Buffer.BlockCopy(_readBuffer, _readStart, _readBuffer, 0, _readEnd - _readStart);
            _readEnd -= _readStart;
            _readStart = 0;
        }
        int free = _readBuffer.Length - _readEnd;
        int n = await _socket.ReceiveAsync(_readBuffer.AsMemory(_readEnd)).ConfigureAwait(false);
        if (n == 0) throw new IOException("peer closed the connection");
        _readEnd += n;
        // The read filled all the space we had: the peer is ahead of us, so read more per syscall next time.
        if (n == free && _readBuffer.Length < MaxBufferSize)
        {
            var bigger = new byte[Math.Min(MaxBufferSize, _readBuffer.Length * 2)];
            Buffer.BlockCopy(_readBuffer, _readStart, bigger, 0, _readEnd - _readStart);
            _readEnd -= _readStart;
            _readStart = 0;
            _readBuffer = bigger;
        }
    }

    private int DirectReadThreshold => _readBuffer.Length / 2;

    private async Task ReadLoopAsync(CancellationToken ct)
    {
        await Task.Yield();
        var parts = new List<byte[]>();
        while (true)
        {
            // Decode everything already buffered.
            while (_readStart < _readEnd)
            {
                bool done = _decoder.TryDecode(_readBuffer.AsSpan(_readStart, _readEnd - _readStart), out int used, out var frame);
                _readStart += used;
                if (!done) break;
                await HandleFrameAsync(frame, parts, ct).ConfigureAwait(false);
            }

            if (_decoder.InBody && _decoder.BodyRemaining >= DirectReadThreshold)
            {
                // Large body: read straight into it, skipping the copy through the read buffer.
                _readStart = _readEnd = 0;
                int n = await _socket.ReceiveAsync(_decoder.GetBodyTarget()).ConfigureAwait(false);
                if (n == 0) throw new IOException("peer closed the connection");
                if (_decoder.AdvanceBody(n, out var frame))
                    await HandleFrameAsync(frame, parts, ct).ConfigureAwait(false);
                continue;
            }
            await FillAsync().ConfigureAwait(false);
        }
    }

    private async ValueTask HandleFrameAsync(ZmtpFrame frame, List<byte[]> parts, CancellationToken ct)
    {
        if (frame.IsCommand)
        {
            if (parts.Count > 0) throw new ZmtpProtocolException("command inside a multipart message");
            await HandleCommandAsync(frame.Body, ct).ConfigureAwait(false);
            return;
        }
        parts.Add(frame.Body);
        if (frame.More)
        {
            if (parts.Count >= MaxFramesPerMessage) throw new ZmtpProtocolException("too many frames in one message");
            return;
        }
        var message = parts.ToArray();
        parts.Clear();
        await _owner.OnMessageAsync(this, message, ct).ConfigureAwait(false);
    }

    private async ValueTask HandleCommandAsync(byte[] body, CancellationToken ct)
    {
        ZmtpCommands.Split(body, out var name, out var data);
        if (name.SequenceEqual(ZmtpCommands.Ping))
        {
            // Always answer, whatever version was negotiated (libzmq 4.2 pings while announcing 3.0).
            await WriteDirectAsync(ZmtpCommands.BuildPong(data), ct).ConfigureAwait(false);
        }
        else if (name.SequenceEqual(ZmtpCommands.Subscribe))
        {
            await _owner.OnSubscriptionAsync(this, true, data.ToArray(), ct).ConfigureAwait(false);
        }
        else if (name.SequenceEqual(ZmtpCommands.Cancel))
        {
            await _owner.OnSubscriptionAsync(this, false, data.ToArray(), ct).ConfigureAwait(false);
        }
        // Anything else (ERROR, PONG, unknown) is ignored after the handshake, as libzmq does.
    }

    private async ValueTask WriteDirectAsync(byte[] wire, CancellationToken ct)
    {
        await _writeLock.WaitAsync(ct).ConfigureAwait(false);
        try { await _socket.SendAsync(wire).ConfigureAwait(false); }
        finally { _writeLock.Release(); }
    }

    /// <summary>
    /// Writes a message from the sender's own thread when nothing is queued or being written: the usual case for a
    /// request-reply client, and one thread wake-up (the write loop's) less per request. Never blocks: if the socket
    /// buffer takes only part, the rest goes out asynchronously while the write lock keeps later messages behind it.
    /// False = not written (busy, or not yet/no longer connected): queue it as usual. Takes ownership on true.
    /// </summary>
    internal bool TryWriteNow(WireMessage wire)
    {
        long now = Stopwatch.GetTimestamp();
        if (now - Interlocked.Exchange(ref _lastSendAttempt, now) < StreamingGap) return false;
        if (!_directWrites || WriteSource is not { } source || source.Count != 0 || !_writeLock.Wait(0)) return false;
        int sent;
        try
        {
            // Re-check under the lock: a message queued meanwhile must go first.
            if (source.Count != 0 || !_directWrites)
            {
                _writeLock.Release();
                return false;
            }
            sent = _socket.TrySend(wire.Buffer.AsSpan(0, wire.Length));
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            // Closed or failing: let the write loop meet the same error and end the connection in the usual way.
            _writeLock.Release();
            return false;
        }
        if (sent == wire.Length)
        {
            _writeLock.Release();
            wire.Release();
            return true;
        }
        _ = FinishWriteAsync(wire, sent);
        return true;
    }

    private async Task FinishWriteAsync(WireMessage wire, int offset)
    {
        try
        {
            await _socket.SendAsync(wire.Buffer.AsMemory(offset, wire.Length - offset)).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Half a message on the wire cannot be taken back: end the connection (the reader sees it and reports).
            CloseSocket();
        }
        finally
        {
            wire.Release();
            _writeLock.Release();
        }
    }

    /// <summary>
    /// Drains the queue: small messages are copied into a batch buffer, large ones are referenced in place, and
    /// everything queued at that moment (up to 1 MiB) goes out in one gather write.
    /// </summary>
    private async Task WriteLoopAsync(CancellationToken ct)
    {
        await Task.Yield();
        var source = WriteSource ?? throw new InvalidOperationException("no write source");
        var batch = new byte[InitialBufferSize];
        var segments = new List<ArraySegment<byte>>(MaxSegmentsPerWrite);
        var held = new List<WireMessage>(MaxSegmentsPerWrite);
        try
        {
            while (await source.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                await _writeLock.WaitAsync(ct).ConfigureAwait(false);
                try
                {
                    while (true)
                    {
                        segments.Clear();
                        int used = 0, sliceStart = 0;
                        long total = 0;
                        var budget = WriteBudget;
                        while (total < MaxBytesPerWrite && segments.Count < MaxSegmentsPerWrite - 1 && source.TryRead(out var wire))
                        {
                            total += wire.Length;
                            if (ByteBudget.IsCharged(wire.Length)) budget?.Release(wire.Length);
                            if (wire.Length >= LargeBuffers.Threshold || wire.Length > batch.Length - used)
                            {
                                if (used > sliceStart) segments.Add(new ArraySegment<byte>(batch, sliceStart, used - sliceStart));
                                sliceStart = used;
                                segments.Add(new ArraySegment<byte>(wire.Buffer, 0, wire.Length));
                                held.Add(wire);
                                continue;
                            }
                            Buffer.BlockCopy(wire.Buffer, 0, batch, used, wire.Length);
                            used += wire.Length;
                            wire.Release();
                        }
                        if (used > sliceStart) segments.Add(new ArraySegment<byte>(batch, sliceStart, used - sliceStart));
                        if (segments.Count == 0) break;
                        // Small messages overflowed the batch: a bigger one next time (after this write, which
                        // still references the current array).
                        bool grow = held.Count > 0 && used > batch.Length / 2 && batch.Length < MaxBufferSize;

                        if (segments.Count == 1)
                            await _socket.SendAsync(segments[0].AsMemory()).ConfigureAwait(false);
                        else
                            await _socket.SendAsync(segments).ConfigureAwait(false);

                        foreach (var w in held) w.Release();
                        held.Clear();
                        if (grow) batch = new byte[Math.Min(MaxBufferSize, batch.Length * 2)];
                    }
                }
                finally
                {
                    _writeLock.Release();
                }
            }
            // The queue is done: wait for a direct write still finishing, so flush-on-dispose means on the wire.
            await _writeLock.WaitAsync(ct).ConfigureAwait(false);
            _writeLock.Release();
        }
        finally
        {
            _writeDone.TrySetResult();
        }
    }
}
