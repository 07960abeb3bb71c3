using System.Threading.Channels;

namespace JupyterKernels.Transport.Zmq;

/// <summary>
/// DEALER: outgoing messages are dealt round-robin to the connected peers' queues (each bounded by
/// SendHighWatermark; a full peer is skipped, and SendAsync waits only when every peer is full). While no
/// peer is connected, up to SendHighWatermark messages wait in a pending queue that the next peer to connect
/// takes over, so messages sent before the kernel is up, or while it restarts, are delivered once it is.
/// Unsent messages of a peer that disconnects go to the remaining peers, or back to pending.
/// Receives are fair-queued by arrival.
/// </summary>
internal sealed class DealerSocket : ZmqSocketBase
{
    private readonly Queue<WireMessage> _pending = new();
    private readonly ByteBudget _budget = new();
    private TaskCompletionSource _attached = NewSignal();
    private int _next;

    public DealerSocket(ZmqSocketOptions options) : base(SocketTypeRules.Dealer, options, options.ReceiveHighWatermark) { }

    private int HighWatermark => Math.Max(1, Options.SendHighWatermark);

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override void OnAttached(ZmtpConnection connection)
    {
        var queue = Channel.CreateBounded<WireMessage>(new BoundedChannelOptions(Math.Max(HighWatermark, _pending.Count))
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
        connection.Outgoing = queue;
        connection.WriteSource = queue.Reader;
        connection.WriteBudget = _budget;
        while (_pending.TryDequeue(out var wire)) queue.Writer.TryWrite(wire);
        // Disposing: this peer only needs to flush what it took over, then its write loop may end.
        if (IsClosing) queue.Writer.TryComplete();
        var signal = _attached;
        _attached = NewSignal();
        signal.TrySetResult();
    }

    protected override void OnDetached(ZmtpConnection connection)
    {
        if (connection.Outgoing is not { } queue) return;
        while (queue.Reader.TryRead(out var wire))
        {
            if (Connections.Count == 0)
            {
                _pending.Enqueue(wire);
            }
            else if (!TryDeal(wire))
            {
                // Every other peer is at its high-watermark: drop, releasing the budget it held.
                if (ByteBudget.IsCharged(wire.Length)) _budget.Release(wire.Length);
                wire.Release();
            }
        }
    }

    /// <summary>Round-robin over connected peers, skipping full ones. Caller holds Sync.</summary>
    private bool TryDeal(WireMessage wire)
    {
        int count = Connections.Count;
        for (int i = 0; i < count; i++)
        {
            var c = Connections[(int)((uint)_next++ % (uint)count)];
            if (c.TryWriteNow(wire))
            {
                if (ByteBudget.IsCharged(wire.Length)) _budget.Release(wire.Length);
                return true;
            }
            if (c.Outgoing!.Writer.TryWrite(wire)) return true;
        }
        return false;
    }

    public override ValueTask SendAsync(IReadOnlyList<ReadOnlyMemory<byte>> frames, CancellationToken cancellationToken = default)
    {
        ThrowIfClosing();
        ArgumentNullException.ThrowIfNull(frames);
        var wire = FrameEncoder.EncodePooled(null, frames);
        bool charged = ByteBudget.IsCharged(wire.Length);
        if (charged && !_budget.TryTake(wire.Length)) return SendSlowAsync(wire, charged, cancellationToken);
        return TryPlace(wire, out _) ? ValueTask.CompletedTask : SendSlowAsync(wire, charged, cancellationToken, budgetTaken: true);
    }

    /// <summary>Places the message with a peer or in pending; otherwise returns what to wait for.</summary>
    private bool TryPlace(WireMessage wire, out Task? wait)
    {
        lock (Sync)
        {
            if (IsClosing) throw new ZmqException("The DEALER socket has been disposed.");
            if (Connections.Count == 0)
            {
                if (_pending.Count < HighWatermark)
                {
                    _pending.Enqueue(wire);
                    wait = null;
                    return true;
                }
                wait = _attached.Task;
                return false;
            }
            if (TryDeal(wire))
            {
                wait = null;
                return true;
            }
            // All peers full (rare): wake when any has room or another peer connects.
            var waits = Connections.Select(c => c.Outgoing!.Writer.WaitToWriteAsync().AsTask()).Append(_attached.Task);
            wait = Task.WhenAny(waits);
            return false;
        }
    }

    private async ValueTask SendSlowAsync(WireMessage wire, bool charged, CancellationToken ct, bool budgetTaken = false)
    {
        bool holding = budgetTaken;
        try
        {
            if (charged && !holding)
            {
                await _budget.TakeAsync(wire.Length, ct).ConfigureAwait(false);
                holding = true;
            }
            while (!TryPlace(wire, out var wait))
                await wait!.WaitAsync(ct).ConfigureAwait(false);
            holding = false; // now owned by a queue; the write loop releases it
        }
        finally
        {
            if (holding && charged) _budget.Release(wire.Length);
        }
    }

    /// <summary>Disposal: messages still pending wait (within Linger) for a peer to take them over.</summary>
    protected override async Task WaitPendingTakenAsync()
    {
        while (true)
        {
            Task wait;
            lock (Sync)
            {
                if (_pending.Count == 0) return;
                wait = _attached.Task;
            }
            await wait.ConfigureAwait(false);
        }
    }
}
