using System.Diagnostics;
using System.Threading.Channels;

using JupyterKernels.Transport.Sockets;

namespace JupyterKernels.Transport.Zmq;

/// <summary>
/// One TCP connection speaking ZMTP: greeting, NULL handshake, then a read loop (decode frames, assemble
/// messages, answer PING, pass SUBSCRIBE/CANCEL up) and a write loop (drain the outgoing queue and coalesce
/// queued messages into few socket writes), plus direct writes from the sender's thread when the queue is empty.
/// Any protocol violation closes only this connection. I/O goes through <see cref="NonBlockingSocket"/>, so the
/// read loop runs on that connection's read thread, woken by poll(), without thread-pool hand-offs.
/// This file: state, lifetime and the handshake; <c>.Reading.cs</c> the read loop, <c>.Writing.cs</c> the writes.
/// </summary>
internal sealed partial class ZmtpConnection
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

    /// <summary>What the owning socket keeps about this peer when it routes or filters per peer.</summary>
    public object? PeerState { get; set; }

    /// <summary>Where the write loop takes encoded messages from (a per-connection or a socket-wide queue).</summary>
    public ChannelReader<WireMessage>? WriteSource { get; set; }

    /// <summary>Byte budget of a shared queue; released as messages are dequeued for writing.</summary>
    public ByteBudget? WriteBudget { get; set; }

    /// <summary>The per-connection queue, when the socket type uses one.</summary>
    public Channel<WireMessage>? Outgoing { get; set; }

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
            StartHeartbeat();
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

            StopHeartbeat();
            _owner.Detach(this);
            if (error is not null) _owner.Raise(ZmqConnectionEventKind.ProtocolError, Endpoint, error);
            else if (_heartbeatExpired && !socketToken.IsCancellationRequested && !_owner.IsClosing)
                _owner.Raise(ZmqConnectionEventKind.HeartbeatTimeout, Endpoint,
                    $"nothing from the peer for {_owner.Options.HeartbeatTimeout.TotalSeconds:0.###} s (PINGs unanswered)");
            else if (!socketToken.IsCancellationRequested && !_owner.IsClosing) _owner.Raise(ZmqConnectionEventKind.Disconnected, Endpoint, reason);
            return true;
        }
        finally
        {
            StopHeartbeat();
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
}
