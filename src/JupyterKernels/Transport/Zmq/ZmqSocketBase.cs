using System.Threading.Channels;

namespace JupyterKernels.Transport.Zmq;

/// <summary>
/// What all socket types share: endpoints, the set of live connections, the
/// incoming queue and bounded disposal. Subclasses decide how connections are wired (shared or per-peer
/// outgoing queue) and what send/receive mean.
/// </summary>
internal abstract class ZmqSocketBase : IZmqSocket
{
    private readonly CancellationTokenSource _disposeCts = new();
    private readonly List<Task> _background = new();
    private int _closing;   // 1 once DisposeAsync started: no more sends
    private bool _stopped;  // true once background work is cancelled: no more attaches

    protected ZmqSocketBase(SocketTypeRules rules, ZmqSocketOptions options, int receiveCapacity)
    {
        Rules = rules;
        Options = options;
        Incoming = Channel.CreateBounded<Incoming>(new BoundedChannelOptions(Math.Max(1, receiveCapacity))
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = false,
            SingleWriter = false,
            // A waiting ReceiveAsync resumes on the connection's read loop instead of a thread-pool hop: one hop
            // less per message on the latency path (readers do little work before their next receive).
            AllowSynchronousContinuations = true,
        });
    }

    public SocketTypeRules Rules { get; }
    public ZmqSocketOptions Options { get; }
    public string WireName => Rules.WireName;
    public bool SendsIdentity => Rules.SendsIdentity;

    /// <summary>Guards <see cref="Connections"/> and subclass routing state.</summary>
    protected object Sync { get; } = new();

    /// <summary>Connections whose handshake completed and that are not yet closed.</summary>
    protected List<ZmtpConnection> Connections { get; } = new();

    /// <summary>Received messages, with the connection they came from (socket types that answer a peer need it).</summary>
    protected Channel<Incoming> Incoming { get; }

    internal bool IsClosing => Volatile.Read(ref _closing) != 0;

    public event EventHandler<ZmqConnectionEvent>? ConnectionEvent;

    internal void Raise(ZmqConnectionEventKind kind, string endpoint, string? detail = null)
    {
        var handler = ConnectionEvent;
        if (handler is null) return;
        try { handler(this, new ZmqConnectionEvent(kind, endpoint, detail)); }
        catch (Exception) { /* a diagnostics handler must not break I/O */ }
    }

    internal bool IsCompatible(string peerSocketType) => Rules.IsCompatible(peerSocketType);

    // ---- endpoints ----

    public ValueTask ConnectAsync(string endpoint, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var ep = Endpoint.Parse(endpoint);
        RunWhileOpen(token => ReconnectingConnector.RunAsync(this, ep, token));
        return ValueTask.CompletedTask;
    }

    /// <summary>Runs an endpoint's work (a connector; a listener) for the socket's lifetime: its token is cancelled
    /// on dispose, which waits briefly for it.</summary>
    internal void RunWhileOpen(Func<CancellationToken, Task> work)
    {
        ThrowIfClosing();
        var token = _disposeCts.Token;
        lock (_background)
            _background.Add(Task.Run(() => work(token), CancellationToken.None));
    }

    // ---- connection wiring (called by ZmtpConnection) ----

    /// <summary>Registers a connection after its handshake; false if the socket is shutting down.</summary>
    internal bool Attach(ZmtpConnection connection)
    {
        lock (Sync)
        {
            if (_stopped) return false;
            OnAttached(connection);
            Connections.Add(connection);
            return true;
        }
    }

    internal void Detach(ZmtpConnection connection)
    {
        lock (Sync)
        {
            if (Connections.Remove(connection)) OnDetached(connection);
        }
        connection.Outgoing?.Writer.TryComplete();
    }

    /// <summary>Sets up the connection's write source etc. Called under <see cref="Sync"/>.</summary>
    protected abstract void OnAttached(ZmtpConnection connection);

    /// <summary>Forgets routing state for a closed connection. Called under <see cref="Sync"/>.</summary>
    protected virtual void OnDetached(ZmtpConnection connection) { }

    /// <summary>A complete message arrived. Awaiting here is the receive back-pressure.</summary>
    internal virtual ValueTask OnMessageAsync(ZmtpConnection connection, byte[][] frames, CancellationToken ct)
    {
        long size = 0;
        foreach (var f in frames) size += f.Length;
        if (ReceiveBudget is not { } budget || !ByteBudget.IsCharged(size))
            return Incoming.Writer.WriteAsync(new Incoming(connection, frames), ct);
        var item = new Incoming(connection, frames, size);
        // Fast path without an async state machine: bytes fit and the queue has room.
        if (budget.TryTake(size))
        {
            if (Incoming.Writer.TryWrite(item)) return ValueTask.CompletedTask;
            return Incoming.Writer.WriteAsync(item, ct);
        }
        return EnqueueIncomingSlowAsync(budget, item, ct);
    }

    private async ValueTask EnqueueIncomingSlowAsync(ByteBudget budget, Incoming item, CancellationToken ct)
    {
        await budget.TakeAsync(item.Charged, ct).ConfigureAwait(false);
        await Incoming.Writer.WriteAsync(item, ct).ConfigureAwait(false);
    }

    /// <summary>Caps bytes waiting in <see cref="Incoming"/> (reading from peers pauses beyond it); null = no cap.</summary>
    protected virtual ByteBudget? ReceiveBudget { get; } = new();

    /// <summary>Takes an already-received message without waiting, keeping the byte budget in step.</summary>
    protected bool TryReadIncoming(out Incoming item)
    {
        if (!Incoming.Reader.TryRead(out item)) return false;
        if (item.Charged > 0) ReceiveBudget?.Release(item.Charged);
        return true;
    }

    /// <summary>A SUBSCRIBE/CANCEL command arrived (a subscriber's peer cares; ours ignore it).</summary>
    internal virtual ValueTask OnSubscriptionAsync(ZmtpConnection connection, bool subscribe, byte[] topic, CancellationToken ct)
        => ValueTask.CompletedTask;

    /// <summary>Disposal hook: completes when messages held by the socket itself (no peer yet) were handed to a peer.</summary>
    protected virtual Task WaitPendingTakenAsync() => Task.CompletedTask;

    /// <summary>Queue shared by all connections (REQ); flushed on dispose.</summary>
    protected virtual Channel<WireMessage>? SharedOutgoing => null;

    // ---- user API ----

    public abstract ValueTask SendAsync(IReadOnlyList<ReadOnlyMemory<byte>> frames, CancellationToken cancellationToken = default);

    public virtual async ValueTask<ZmqMessage> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        var item = await ReadIncomingAsync(cancellationToken).ConfigureAwait(false);
        return new ZmqMessage(item.Frames);
    }

    public virtual void Subscribe(ReadOnlySpan<byte> prefix)
        => throw new NotSupportedException($"{WireName} sockets do not subscribe.");

    public virtual void Unsubscribe(ReadOnlySpan<byte> prefix)
        => throw new NotSupportedException($"{WireName} sockets do not subscribe.");

    public virtual void ResetRequestState()
        => throw new NotSupportedException("ResetRequestState applies to REQ sockets only.");

    protected async ValueTask<Incoming> ReadIncomingAsync(CancellationToken cancellationToken)
    {
        ThrowIfDisposedForReceive();
        try
        {
            var item = await Incoming.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (item.Charged > 0) ReceiveBudget?.Release(item.Charged);
            return item;
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(GetType().Name);
        }
    }

    protected void ThrowIfClosing()
    {
        if (IsClosing) throw new ZmqException($"The {WireName} socket has been disposed.");
    }

    private void ThrowIfDisposedForReceive()
    {
        if (_stopped) throw new ObjectDisposedException(GetType().Name);
    }

    /// <summary>Writes to a bounded queue, waiting for room; a completed queue means we are disposing.</summary>
    protected async ValueTask EnqueueAsync(Channel<WireMessage> queue, WireMessage wire, CancellationToken ct)
    {
        try
        {
            await queue.Writer.WriteAsync(wire, ct).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new ZmqException($"The {WireName} socket has been disposed.");
        }
    }

    /// <summary>
    /// Queues an encoded message on a shared (DEALER/REQ) queue under both the message high-watermark and the
    /// byte budget; the connection's write loop releases the bytes as it dequeues.
    /// </summary>
    protected ValueTask EnqueueBudgetedAsync(Channel<WireMessage> queue, ByteBudget budget, WireMessage wire, CancellationToken ct)
    {
        if (!ByteBudget.IsCharged(wire.Length))
            return queue.Writer.TryWrite(wire) ? ValueTask.CompletedTask : EnqueueAsync(queue, wire, ct);
        if (budget.TryTake(wire.Length))
        {
            if (queue.Writer.TryWrite(wire)) return ValueTask.CompletedTask;
            return EnqueueTakenAsync(queue, budget, wire, ct);
        }
        return EnqueueBudgetedSlowAsync(queue, budget, wire, ct);
    }

    private async ValueTask EnqueueBudgetedSlowAsync(Channel<WireMessage> queue, ByteBudget budget, WireMessage wire, CancellationToken ct)
    {
        await budget.TakeAsync(wire.Length, ct).ConfigureAwait(false);
        await EnqueueTakenAsync(queue, budget, wire, ct).ConfigureAwait(false);
    }

    private async ValueTask EnqueueTakenAsync(Channel<WireMessage> queue, ByteBudget budget, WireMessage wire, CancellationToken ct)
    {
        try
        {
            await EnqueueAsync(queue, wire, ct).ConfigureAwait(false);
        }
        catch
        {
            budget.Release(wire.Length);
            throw;
        }
    }

    // ---- disposal ----

    /// <summary>
    /// Completes when queued output has been written: the shared queue (if any) is empty and every write loop
    /// has finished its last write. A write loop ends only after its queue is completed and drained, so
    /// waiting for the loops (not just for the queue to be read) ensures the final batch is on the wire.
    /// </summary>
    private async Task FlushAsync()
    {
        if (SharedOutgoing is { } shared) await shared.Reader.Completion.ConfigureAwait(false);
        await WaitPendingTakenAsync().ConfigureAwait(false);
        Task[] writers;
        lock (Sync) writers = Connections.Select(c => c.WriteCompletion).ToArray();
        await Task.WhenAll(writers).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0) return;

        // 1. Linger: stop accepting sends and give queued output up to Linger to reach the wire.
        SharedOutgoing?.Writer.TryComplete();
        lock (Sync)
            foreach (var c in Connections) c.Outgoing?.Writer.TryComplete();
        if (Options.Linger > TimeSpan.Zero)
        {
            try { await FlushAsync().WaitAsync(Options.Linger).ConfigureAwait(false); }
            catch (Exception) { /* linger expired or a connection failed: drop the rest */ }
        }

        // 2. Stop everything: endpoints, connections; fail pending receives.
        lock (Sync) _stopped = true;
        _disposeCts.Cancel();
        Incoming.Writer.TryComplete(new ObjectDisposedException(GetType().Name));
        List<Task> background;
        lock (_background)
            background = new List<Task>(_background);
        lock (Sync)
            foreach (var c in Connections) c.CloseSocket();

        // 3. Wait briefly for background tasks; they only wait on cancelled tokens and closed sockets now.
        try { await Task.WhenAll(background).WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false); }
        catch (Exception) { /* never let disposal hang or throw */ }
    }
}

/// <summary>A received message and the connection it came from.</summary>
internal readonly record struct Incoming(ZmtpConnection Connection, byte[][] Frames, long Charged = 0);
