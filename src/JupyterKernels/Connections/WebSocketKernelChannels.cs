using System.Buffers;
using System.Net.WebSockets;
using System.Threading.Channels;
using JupyterKernels.Messaging;

namespace JupyterKernels.Connections;

/// <summary>
/// A remote kernel's channels over one WebSocket (<c>{kernels}/{id}/channels?session_id=…</c>). Offers
/// <c>v1.kernel.websocket.jupyter.org</c> and falls back to the legacy JSON framing when the server does not pick
/// it. After a drop it reconnects with capped exponential backoff plus jitter, keeping the same session id (so the
/// server replays what it buffered); a definite 404 ends it with KernelNotFound. Messages sent while reconnecting
/// wait in a bounded queue and are sent, in order, after the reconnect — or their SendAsync fails: never silent loss.
/// </summary>
internal sealed class WebSocketKernelChannels : IKernelChannels
{
    private readonly IKernelWebSocketServer _server;
    private readonly WebSocketChannelOptions _options;
    private readonly bool _offerV1;
    // Synchronous continuations: KernelClient's dispatch runs on the thread that read the message (on Linux the
    // connection's own reader thread, see Transport/Tcp/QuickAckSocketStream), saving a thread-pool hop per message,
    // as on the ZeroMQ path.
    private readonly Channel<ChannelMessage> _incoming = Channel.CreateUnbounded<ChannelMessage>(
        new UnboundedChannelOptions { SingleWriter = true, SingleReader = true, AllowSynchronousContinuations = true });
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly object _stateLock = new();
    private readonly Queue<PendingSend> _pending = new();
    private readonly CancellationTokenSource _lifetime = new();
    private ClientWebSocket _socket;
    private bool _v1;
    private LinkState _state = LinkState.Connected;
    private Exception? _terminal;
    private Task _loop = Task.CompletedTask;
    private volatile bool _iopubReady;
    private volatile string? _deathEvidence;
    private int _disposed;
    private bool _finished;

    private enum LinkState { Connected, Reconnecting, Closed }

    private sealed record PendingSend(KernelChannel Channel, JupyterMessage Message)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private WebSocketKernelChannels(IKernelWebSocketServer server, string remoteKernelId, string sessionId, bool offerV1, ClientWebSocket socket)
    {
        _server = server;
        _options = server.ChannelOptions;
        _offerV1 = offerV1;
        RemoteKernelId = remoteKernelId;
        SessionId = sessionId;
        _socket = socket;
        _v1 = socket.SubProtocol == WebSocketV1Framing.SubProtocol;
    }

    /// <summary>Connects (one attempt; errors are thrown: KernelNotFound, ProviderAuthenticationFailed,
    /// ProviderUnreachable, ProviderTimeout, ProviderRequestFailed). <paramref name="offerV1"/> null uses
    /// <see cref="WebSocketChannelOptions.OfferV1Protocol"/>; false forces the legacy framing. <paramref name="sessionId"/> null = new.</summary>
    public static async Task<WebSocketKernelChannels> ConnectAsync(IKernelWebSocketServer server, string remoteKernelId, string? sessionId, bool? offerV1, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(server);
        sessionId ??= Guid.NewGuid().ToString();
        var v1 = offerV1 ?? server.ChannelOptions.OfferV1Protocol;
        var (socket, status, failure) = await server.ConnectChannelsAsync(remoteKernelId, sessionId, v1, cancellationToken).ConfigureAwait(false);
        if (failure is not null) throw server.ConnectError(remoteKernelId, status, failure);
        var channels = new WebSocketKernelChannels(server, remoteKernelId, sessionId, v1, socket);
        channels._loop = Task.Run(channels.RunAsync);
        if (server.ChannelOptions.KernelPollInterval > TimeSpan.Zero) _ = Task.Run(channels.PollKernelAsync);
        return channels;
    }

    public string RemoteKernelId { get; }
    /// <summary>The client session id in the URL (kept across reconnects).</summary>
    public string SessionId { get; }
    /// <summary>True when the server selected <c>v1.kernel.websocket.jupyter.org</c>, false for the legacy JSON framing.</summary>
    public bool UsesV1Protocol => _v1;

    public ChannelReader<ChannelMessage> Incoming => _incoming.Reader;
    public event EventHandler<ChannelEvent>? Event;
    public bool IOPubReady => _iopubReady;

    // ---- sending -----------------------------------------------------------------------------------------------

    public async ValueTask SendAsync(KernelChannel channel, JupyterMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        PendingSend? queued = null;
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            switch (_state)
            {
                case LinkState.Closed:
                    throw NotSendable(message);
                case LinkState.Reconnecting:
                    queued = Enqueue(channel, message);
                    break;
                default:
                    try
                    {
                        await SendFrameAsync(_socket, channel, message, cancellationToken).ConfigureAwait(false);
                        return;
                    }
                    catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException or InvalidOperationException)
                    {
                        // The socket broke under us: the receive loop will reconnect; this message waits for it.
                        lock (_stateLock) if (_state == LinkState.Connected) _state = LinkState.Reconnecting;
                        if (_state == LinkState.Closed) throw NotSendable(message);
                        queued = Enqueue(channel, message);
                    }
                    break;
            }
        }
        finally
        {
            _sendLock.Release();
        }
        await queued!.Done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private PendingSend Enqueue(KernelChannel channel, JupyterMessage message)
    {
        lock (_stateLock)
        {
            if (_pending.Count >= _options.MaxQueuedMessages)
                throw new KernelException(ErrorIds.ConnectionFailed, KernelErrorCategory.ResourceUnavailable,
                    $"Kernel {RemoteKernelId}: the WebSocket is reconnecting and {_pending.Count} messages are already queued; {message.MsgType} was not sent.", RemoteKernelId);
            var p = new PendingSend(channel, message);
            _pending.Enqueue(p);
            return p;
        }
    }

    private KernelException NotSendable(JupyterMessage message)
        => new(ErrorIds.ConnectionFailed, KernelErrorCategory.ConnectionError,
            $"Kernel {RemoteKernelId}: {message.MsgType} was not sent: the WebSocket is closed{(_terminal is null ? "" : " (" + _terminal.Message + ")")}.",
            RemoteKernelId, _terminal);

    private async Task SendFrameAsync(ClientWebSocket socket, KernelChannel channel, JupyterMessage message, CancellationToken cancellationToken)
    {
        if (_v1)
        {
            var frame = WebSocketV1Framing.Serialize(channel, message);
            await socket.SendAsync(frame, WebSocketMessageType.Binary, true, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var (frame, binary) = WebSocketLegacyFraming.Serialize(channel, message);
            await socket.SendAsync(frame, binary ? WebSocketMessageType.Binary : WebSocketMessageType.Text, true, cancellationToken).ConfigureAwait(false);
        }
    }

    // ---- receiving and reconnecting ----------------------------------------------------------------------------

    private async Task RunAsync()
    {
        var token = _lifetime.Token;
        try
        {
            while (!token.IsCancellationRequested)
            {
                var reason = await ReceiveLoopAsync(_socket, token).ConfigureAwait(false);
                if (token.IsCancellationRequested) break;
                lock (_stateLock) if (_state == LinkState.Connected) _state = LinkState.Reconnecting;
                Raise(ChannelEventKind.Disconnected, $"WebSocket to kernel {RemoteKernelId} lost: {reason}");
                var error = await ReconnectAsync(token).ConfigureAwait(false);
                if (error is not null)
                {
                    Finish(error);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested) { }
        catch (Exception e)
        {
            Finish(new KernelException(ErrorIds.ConnectionFailed, KernelErrorCategory.ConnectionError,
                $"Kernel {RemoteKernelId}: the WebSocket reader failed: {e.Message}", RemoteKernelId, e));
            return;
        }
        Finish(null);
    }

    /// <summary>Reads until the socket fails or closes; returns why.</summary>
    private async Task<string> ReceiveLoopAsync(ClientWebSocket socket, CancellationToken token)
    {
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        bool oversize = false;
        try
        {
            while (true)
            {
                var memory = buffer.GetMemory(16 * 1024);
                var result = await socket.ReceiveAsync(memory, token).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                    return $"closed by the server ({(int?)socket.CloseStatus} {socket.CloseStatusDescription})".Trim();
                if (!oversize) buffer.Advance(result.Count);
                if (buffer.WrittenCount > _options.MaxMessageBytes) { oversize = true; buffer.ResetWrittenCount(); }
                if (!result.EndOfMessage) continue;
                if (oversize)
                    Raise(ChannelEventKind.MalformedMessage, $"dropped a WebSocket message larger than {_options.MaxMessageBytes} bytes");
                else
                    Deliver(result.MessageType, buffer.WrittenMemory);
                oversize = false;
                buffer.ResetWrittenCount();
                if (buffer.Capacity > 4 * 1024 * 1024) buffer = new ArrayBufferWriter<byte>(64 * 1024);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested) { return "closed by us"; }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            return e.Message;
        }
    }

    private void Deliver(WebSocketMessageType type, ReadOnlyMemory<byte> data)
    {
        var decoded = type == WebSocketMessageType.Text
            ? (_v1 ? WebSocketDecodeResult.Fail("text frame on a v1 WebSocket") : WebSocketLegacyFraming.DeserializeText(data))
            : (_v1 ? WebSocketV1Framing.Deserialize(data) : WebSocketLegacyFraming.DeserializeBinary(data));
        if (decoded.Message is null)
        {
            Raise(ChannelEventKind.MalformedMessage, $"dropped a malformed message from kernel {RemoteKernelId}: {decoded.Error}");
            return;
        }
        if (decoded.Channel == KernelChannel.IOPub) _iopubReady = true;
        _incoming.Writer.TryWrite(new ChannelMessage(decoded.Channel, decoded.Message));
    }

    /// <summary>Reconnects with backoff; returns null when connected again, else the terminal error.</summary>
    private async Task<Exception?> ReconnectAsync(CancellationToken token)
    {
        try { _socket.Abort(); _socket.Dispose(); } catch { /* already gone */ }
        string lastReason = "no attempt made";
        var refused = 0; // refused reconnects in a row (ConnectionRefusals)
        for (int attempt = 0; attempt < _options.RetryMax; attempt++)
        {
            var delay = refused > 0 ? ConnectionRefusals.RetryDelay : BackoffDelay(attempt);
            Raise(ChannelEventKind.Reconnecting, $"reconnecting to kernel {RemoteKernelId} in {delay.TotalSeconds:0.0} s (attempt {attempt + 1} of {_options.RetryMax})");
            await Task.Delay(delay, token).ConfigureAwait(false);
            var (socket, status, failure) = await _server.ConnectChannelsAsync(RemoteKernelId, SessionId, _offerV1, token).ConfigureAwait(false);
            if (failure is null)
            {
                await _sendLock.WaitAsync(token).ConfigureAwait(false);
                try
                {
                    _socket = socket;
                    _v1 = socket.SubProtocol == WebSocketV1Framing.SubProtocol;
                    if (!await FlushPendingAsync(socket, token).ConfigureAwait(false))
                    {
                        lastReason = "the new WebSocket failed while sending queued messages";
                        try { socket.Abort(); } catch { }
                        continue;
                    }
                    lock (_stateLock) _state = LinkState.Connected;
                }
                finally { _sendLock.Release(); }
                Raise(ChannelEventKind.Reconnected, $"reconnected to kernel {RemoteKernelId} (attempt {attempt + 1})");
                return null;
            }
            var error = _server.ConnectError(RemoteKernelId, status, failure);
            if (error.ErrorId is ErrorIds.KernelNotFound or ErrorIds.ProviderAuthenticationFailed) return error;
            lastReason = error.Message;
            if (_options.RefusalsToGiveUp > 0 && ConnectionRefusals.IsRefused(failure)) { if (++refused >= _options.RefusalsToGiveUp) return ConnectionRefusals.ServerDown(_server.ProviderName, RemoteKernelId, refused, error); }
            else refused = 0;
            // The handshake failed without a definite answer: ask the REST API whether the kernel still exists.
            if (await KernelIsGoneAsync(token).ConfigureAwait(false))
                return KernelGone();
        }
        if (await KernelIsGoneAsync(token).ConfigureAwait(false)) return KernelGone();
        return new KernelException(ErrorIds.ConnectionFailed, KernelErrorCategory.ConnectionError,
            $"Kernel {RemoteKernelId}: the WebSocket was lost and {_options.RetryMax} reconnect attempts failed; last: {lastReason}", RemoteKernelId);
    }

    private async Task<bool> FlushPendingAsync(ClientWebSocket socket, CancellationToken token)
    {
        while (true)
        {
            PendingSend? next;
            lock (_stateLock) if (!_pending.TryPeek(out next)) return true;
            if (!next.Done.Task.IsCompleted)
            {
                try { await SendFrameAsync(socket, next.Channel, next.Message, token).ConfigureAwait(false); }
                catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException or InvalidOperationException) { return false; }
                next.Done.TrySetResult();
            }
            lock (_stateLock) _pending.Dequeue();
        }
    }

    /// <summary>Jupyter Server keeps the WebSocket open after its kernel is deleted: poll the kernel by id.</summary>
    private async Task PollKernelAsync()
    {
        var token = _lifetime.Token;
        try
        {
            while (!token.IsCancellationRequested && !_finished)
            {
                await Task.Delay(_options.KernelPollInterval, token).ConfigureAwait(false);
                if (_state != LinkState.Connected) continue;
                if (await KernelIsGoneAsync(token).ConfigureAwait(false))
                {
                    Finish(KernelGone());
                    try { _socket.Abort(); } catch { }
                    return;
                }
            }
        }
        catch (OperationCanceledException) { }
        catch (ObjectDisposedException) { }
    }

    private async Task<bool> KernelIsGoneAsync(CancellationToken token)
    {
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(token);
            return await _server.GetKernelStateAsync(RemoteKernelId, cts.Token).ConfigureAwait(false) is null;
        }
        catch (KernelException) { return false; }
    }

    private KernelException KernelGone()
        => new(ErrorIds.KernelNotFound, KernelErrorCategory.ObjectNotFound,
            $"Provider '{_server.ProviderName}': kernel {RemoteKernelId} no longer exists on the server (HTTP 404).", RemoteKernelId);

    private TimeSpan BackoffDelay(int attempt)
    {
        var baseSeconds = Math.Min(_options.RetryInterval.TotalSeconds * Math.Pow(2, attempt), _options.RetryIntervalMax.TotalSeconds);
        var jitter = Random.Shared.NextDouble() * Math.Min(baseSeconds * 0.5, 1.0);
        return TimeSpan.FromSeconds(baseSeconds + jitter);
    }

    private void Finish(Exception? error)
    {
        List<PendingSend> failed;
        lock (_stateLock)
        {
            if (_finished) return;
            _finished = true;
            _state = LinkState.Closed;
            _terminal ??= error;
            failed = [.. _pending];
            _pending.Clear();
        }
        var sendError = error ?? new KernelException(ErrorIds.ConnectionFailed, KernelErrorCategory.ConnectionError,
            $"Kernel {RemoteKernelId}: the WebSocket was closed before the message could be sent.", RemoteKernelId);
        foreach (var p in failed) p.Done.TrySetException(sendError);
        Raise(ChannelEventKind.Closed, error is null ? $"WebSocket to kernel {RemoteKernelId} closed" : error.Message);
        _incoming.Writer.TryComplete(error);
    }

    private void Raise(ChannelEventKind kind, string detail)
    {
        try { Event?.Invoke(this, new ChannelEvent(kind, _server.Scrub(detail))); }
        catch { /* a handler's fault must not kill the reader */ }
    }

    // ---- heartbeat and disposal --------------------------------------------------------------------------------

    /// <summary>True when the socket is open and the server reports the kernel (GET by id) as not dead.</summary>
    public async ValueTask<bool> CheckHeartbeatAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_state != LinkState.Connected || _socket.State != WebSocketState.Open) return false;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            var state = await _server.GetKernelStateAsync(RemoteKernelId, cts.Token).ConfigureAwait(false);
            _deathEvidence = state is null
                ? $"provider '{_server.ProviderName}' answered HTTP 404 for kernel {RemoteKernelId}: the server no longer has it"
                : state == KernelState.Dead ? $"provider '{_server.ProviderName}' reports kernel {RemoteKernelId} as dead" : null;
            return _deathEvidence is null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested) { return false; }
        catch (KernelException) { return false; }
    }

    public string? DeathEvidence => _deathEvidence;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        var socket = _socket;
        if (socket.State == WebSocketState.Open)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try { await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", cts.Token).ConfigureAwait(false); }
            catch { /* best effort */ }
        }
        _lifetime.Cancel();
        try { socket.Abort(); } catch { }
        try { await _loop.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false); } catch { /* bounded */ }
        Finish(null);
        socket.Dispose();
        _lifetime.Dispose();
    }
}
