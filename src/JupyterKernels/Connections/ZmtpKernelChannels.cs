using System.Threading.Channels;
using JupyterKernels.Messaging;
using JupyterKernels.Transport.Zmq;

namespace JupyterKernels.Connections;

/// <summary>
/// The channels of a local kernel over our ZMTP sockets: shell, control and stdin DEALERs sharing one routing id
/// (the kernel sends input_request to the shell identity), an IOPub SUB subscribed to everything, and a heartbeat
/// REQ. Messages with a bad or missing signature are dropped and reported, never delivered.
/// </summary>
internal sealed class ZmtpKernelChannels : IKernelChannels
{

    private readonly MessageSigner _signer;
    private readonly IZmqSocket _shell, _control, _stdin, _iopub;
    private readonly string _heartbeatEndpoint;
    private readonly SemaphoreSlim _heartbeatLock = new(1, 1);
    private IZmqSocket _heartbeat;
    // Synchronous continuations: KernelClient's dispatch (a dictionary lookup and a queue write) runs on the reader
    // that produced the message, saving a thread-pool hop per message.
    private readonly Channel<ChannelMessage> _incoming = Channel.CreateUnbounded<ChannelMessage>(
        new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = true });
    private readonly CancellationTokenSource _lifetime = new();
    private readonly Task[] _readers;
    private const int AllConnected = 15;
    private static readonly TimeSpan HandshakeWait = TimeSpan.FromSeconds(1);
    private readonly TaskCompletionSource _allConnected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _iopubReady;
    private int _connectedMask;
    private int _controlSilent;
    private static readonly TimeSpan SlowHeartbeatInterval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan SlowHeartbeatTimeout = TimeSpan.FromSeconds(30);
    private static readonly ZmqSocketOptions HeartbeatReqOptions = new() { HeartbeatInterval = TimeSpan.Zero };
    private int _disposed;

    private ZmtpKernelChannels(ConnectionInfo info, MessageSigner signer, byte[] routingId, TimeSpan? reconnectInterval)
    {
        _signer = signer;
        // ZMTP heartbeats: control carries the fast one (the default: a frozen kernel is reported within 3 s; control
        // is answered by the kernel's I/O thread even while its shell is busy, so silence there is the process, not
        // the code); shell, stdin and IOPub only catch half-open connections, slowly, so that a thousand idle kernels
        // cost little; the Jupyter heartbeat REQ is replaced on every miss anyway.
        var baseOptions = reconnectInterval is { } every ? new ZmqSocketOptions { ReconnectInterval = every, ReconnectIntervalMax = every } : new ZmqSocketOptions();
        var dealerOptions = baseOptions with { RoutingId = routingId };
        var slowDealerOptions = dealerOptions with { HeartbeatInterval = SlowHeartbeatInterval, HeartbeatTimeout = SlowHeartbeatTimeout };
        _shell = ZmqSocket.Create(ZmqSocketType.Dealer, slowDealerOptions);
        _control = ZmqSocket.Create(ZmqSocketType.Dealer, dealerOptions);
        _stdin = ZmqSocket.Create(ZmqSocketType.Dealer, slowDealerOptions);
        _iopub = ZmqSocket.Create(ZmqSocketType.Sub, baseOptions with { HeartbeatInterval = SlowHeartbeatInterval, HeartbeatTimeout = SlowHeartbeatTimeout });
        _heartbeat = ZmqSocket.Create(ZmqSocketType.Req, reconnectInterval is null ? HeartbeatReqOptions : baseOptions with { HeartbeatInterval = TimeSpan.Zero });
        _control.ConnectionEvent += OnControlEvent;
        _heartbeatEndpoint = Endpoint(info, info.HbPort);
        _readers = new Task[4];
    }

    /// <summary>Opens all five sockets. Connection happens in the background (ZeroMQ semantics); readiness is
    /// proven by the caller with kernel_info (see <see cref="KernelClient.WaitForReadyAsync"/>).</summary>
    /// <param name="reconnectInterval">How often a refused connection is tried again (default: ZeroMQ's 100 ms). A
    /// kernel being started binds its ports at a moment nobody can see: trying often then saves up to that interval
    /// on every start, for a refused localhost connect (a few microseconds) per try.</param>
    public static async Task<ZmtpKernelChannels> ConnectAsync(ConnectionInfo info, string clientSessionId, CancellationToken cancellationToken,
        TimeSpan? reconnectInterval = null)
    {
        if (!string.Equals(info.Transport, "tcp", StringComparison.OrdinalIgnoreCase))
            throw new KernelException(ErrorIds.ConnectionFileInvalid, KernelErrorCategory.InvalidData,
                $"Transport '{info.Transport}' is not supported; only tcp is.");
        var signer = new MessageSigner(info.Key, info.SignatureScheme);
        var channels = new ZmtpKernelChannels(info, signer, System.Text.Encoding.ASCII.GetBytes(clientSessionId), reconnectInterval);
        try
        {
            channels.WatchConnected(channels._shell, 1);
            channels.WatchConnected(channels._control, 2);
            channels.WatchConnected(channels._stdin, 4);
            channels.WatchConnected(channels._iopub, 8);
            channels._iopub.Subscribe(ReadOnlySpan<byte>.Empty);
            await channels._iopub.ConnectAsync(Endpoint(info, info.IOPubPort), cancellationToken).ConfigureAwait(false);
            await channels._shell.ConnectAsync(Endpoint(info, info.ShellPort), cancellationToken).ConfigureAwait(false);
            await channels._control.ConnectAsync(Endpoint(info, info.ControlPort), cancellationToken).ConfigureAwait(false);
            await channels._stdin.ConnectAsync(Endpoint(info, info.StdinPort), cancellationToken).ConfigureAwait(false);
            await channels._heartbeat.ConnectAsync(channels._heartbeatEndpoint, cancellationToken).ConfigureAwait(false);
            channels.StartReaders();
            await channels.WaitForHandshakesAsync(cancellationToken).ConfigureAwait(false);
            return channels;
        }
        catch
        {
            await channels.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public ChannelReader<ChannelMessage> Incoming => _incoming.Reader;

    public bool IOPubReady => _iopubReady;

    public bool RequestChannelsConnected => (Volatile.Read(ref _connectedMask) & 7) == 7;

    private void WatchConnected(IZmqSocket socket, int bit)
        => socket.ConnectionEvent += (_, e) =>
        {
            if (e.Kind != ZmqConnectionEventKind.Connected) return;
            if ((Interlocked.Or(ref _connectedMask, bit) | bit) == AllConnected) _allConnected.TrySetResult();
        };

    /// <summary>The control connection's ZMTP heartbeat: silence past its timeout is NotResponding (doubt, never
    /// death); the next completed handshake (the kernel's I/O thread answered) is Responding. Raised from the
    /// transport's threads: handlers must not block.</summary>
    private void OnControlEvent(object? sender, ZmqConnectionEvent e)
    {
        if (e.Kind == ZmqConnectionEventKind.HeartbeatTimeout && Interlocked.Exchange(ref _controlSilent, 1) == 0)
            Event?.Invoke(this, new ChannelEvent(ChannelEventKind.NotResponding, $"control: {e.Detail}"));
        else if (e.Kind == ZmqConnectionEventKind.Connected && Interlocked.Exchange(ref _controlSilent, 0) == 1)
            Event?.Invoke(this, new ChannelEvent(ChannelEventKind.Responding, "control: the kernel completed a new handshake"));
    }

    /// <summary>
    /// Waits (at most <see cref="HandshakeWait"/>) until shell, control, stdin and IOPub have completed their
    /// handshakes, which for the SUB means our subscription is on its way to the kernel. A kernel_info sent before
    /// that can be answered while the kernel's PUB still drops IOPub for us, and readiness then has to ask again.
    /// A kernel that is not listening yet (still starting) or not at all ends the wait by the bound, not by an
    /// error: readiness decides, as before.
    /// </summary>
    private async Task WaitForHandshakesAsync(CancellationToken cancellationToken)
    {
        try { await _allConnected.Task.WaitAsync(HandshakeWait, cancellationToken).ConfigureAwait(false); }
        catch (TimeoutException) { }
    }

    public event EventHandler<ChannelEvent>? Event;

    public ValueTask SendAsync(KernelChannel channel, JupyterMessage message, CancellationToken cancellationToken)
    {
        var socket = channel switch
        {
            KernelChannel.Shell => _shell,
            KernelChannel.Control => _control,
            KernelChannel.Stdin => _stdin,
            _ => throw new ArgumentException("IOPub is receive-only for a client.", nameof(channel)),
        };
        return socket.SendAsync(WireFormat.Serialize(message, _signer, Array.Empty<byte[]>()), cancellationToken);
    }

    public async ValueTask<bool> CheckHeartbeatAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _disposed) != 0) return false;
        await _heartbeatLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime.Token);
            cts.CancelAfter(timeout);
            if (await Heartbeat.PingAsync(_heartbeat, cts.Token, cancellationToken).ConfigureAwait(false)) return true;
            // A missed pong leaves REQ waiting for a reply that may never come: start over on a fresh socket,
            // as jupyter_client's HBChannel does.
            var old = _heartbeat;
            _heartbeat = ZmqSocket.Create(ZmqSocketType.Req, HeartbeatReqOptions);
            await old.DisposeAsync().ConfigureAwait(false);
            await _heartbeat.ConnectAsync(_heartbeatEndpoint, cancellationToken).ConfigureAwait(false);
            return false;
        }
        finally
        {
            _heartbeatLock.Release();
        }
    }

    private void StartReaders()
    {
        _readers[0] = Task.Run(() => ReadAsync(_shell, KernelChannel.Shell));
        _readers[1] = Task.Run(() => ReadAsync(_control, KernelChannel.Control));
        _readers[2] = Task.Run(() => ReadAsync(_stdin, KernelChannel.Stdin));
        _readers[3] = Task.Run(() => ReadAsync(_iopub, KernelChannel.IOPub));
    }

    private async Task ReadAsync(IZmqSocket socket, KernelChannel channel)
    {
        var token = _lifetime.Token;
        try
        {
            while (!token.IsCancellationRequested)
            {
                var frames = await socket.ReceiveAsync(token).ConfigureAwait(false);
                var decoded = WireFormat.Deserialize(frames.Frames, _signer);
                if (decoded.Message is null)
                {
                    var kind = decoded.Error == WireDecodeError.BadSignature ? ChannelEventKind.InvalidSignature : ChannelEventKind.MalformedMessage;
                    Event?.Invoke(this, new ChannelEvent(kind, $"{channel.ToWireName()}: message dropped ({decoded.Detail})"));
                    continue;
                }
                if (channel == KernelChannel.IOPub) _iopubReady = true;
                _incoming.Writer.TryWrite(new ChannelMessage(channel, decoded.Message));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException && token.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            Event?.Invoke(this, new ChannelEvent(ChannelEventKind.Closed, $"{channel.ToWireName()} reader stopped: {e.Message}"));
            _incoming.Writer.TryComplete(new KernelException(ErrorIds.ConnectionFailed, KernelErrorCategory.ConnectionError,
                $"The {channel.ToWireName()} channel failed: {e.Message}", null, e));
        }
    }

    private static string Endpoint(ConnectionInfo info, int port) => $"tcp://{info.Ip}:{port}";

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _lifetime.Cancel();
        await Task.WhenAll(
            _shell.DisposeAsync().AsTask(), _control.DisposeAsync().AsTask(), _stdin.DisposeAsync().AsTask(),
            _iopub.DisposeAsync().AsTask(), _heartbeat.DisposeAsync().AsTask()).ConfigureAwait(false);
        foreach (var reader in _readers)
        {
            if (reader is null) continue;
            try { await reader.ConfigureAwait(false); } catch (Exception) { /* already reported */ }
        }
        _incoming.Writer.TryComplete();
        // _lifetime and _heartbeatLock are not disposed: a concurrent CheckHeartbeatAsync may still hold them, and
        // neither owns an OS handle (no AvailableWaitHandle / no timer) that would leak.
    }
}
