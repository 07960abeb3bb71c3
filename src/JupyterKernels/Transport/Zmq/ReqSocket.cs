using System.Threading.Channels;

namespace JupyterKernels.Transport.Zmq;

/// <summary>
/// REQ: one socket-wide outgoing queue that every connected peer's write loop drains (requests wait there
/// while no peer is connected and survive reconnects; with several peers a request goes to whichever
/// connection is ready, a load-balancing by pull rather than libzmq's strict round-robin) plus strict send/receive alternation and the empty delimiter frame.
/// Replies that don't start with the delimiter are dropped; replies left over from an abandoned request are
/// drained before the next send (after <see cref="ResetRequestState"/>), as libzmq's REQ does.
/// </summary>
internal sealed class ReqSocket : ZmqSocketBase
{
    private static readonly ReadOnlyMemory<byte>[] Delimiter = { ReadOnlyMemory<byte>.Empty };

    private readonly Channel<WireMessage> _outgoing;
    private int _awaitingReply;

    public ReqSocket(ZmqSocketOptions options) : base(SocketTypeRules.Req, options, options.ReceiveHighWatermark)
    {
        _outgoing = Channel.CreateBounded<WireMessage>(new BoundedChannelOptions(Math.Max(1, options.SendHighWatermark))
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = false,
            SingleWriter = false,
        });
    }

    protected override Channel<WireMessage> SharedOutgoing => _outgoing;

    private readonly ByteBudget _budget = new();

    protected override void OnAttached(ZmtpConnection connection)
    {
        connection.WriteSource = _outgoing.Reader;
        connection.WriteBudget = _budget;
    }

    public override async ValueTask SendAsync(IReadOnlyList<ReadOnlyMemory<byte>> frames, CancellationToken cancellationToken = default)
    {
        ThrowIfClosing();
        ArgumentNullException.ThrowIfNull(frames);
        if (frames.Count == 0) throw new ArgumentException("a message needs at least one frame", nameof(frames));
        if (Interlocked.CompareExchange(ref _awaitingReply, 1, 0) != 0)
            throw new ZmqException("REQ: the previous request has not been answered; receive the reply or call ResetRequestState.");
        try
        {
            while (TryReadIncoming(out _)) { /* stale replies from an abandoned request */ }
            await EnqueueBudgetedAsync(_outgoing, _budget, FrameEncoder.EncodePooled(Delimiter, frames), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Volatile.Write(ref _awaitingReply, 0);
            throw;
        }
    }

    public override async ValueTask<ZmqMessage> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _awaitingReply) == 0)
            throw new ZmqException("REQ: no request is pending; send before receiving.");
        while (true)
        {
            var item = await ReadIncomingAsync(cancellationToken).ConfigureAwait(false);
            var f = item.Frames;
            if (f.Length < 2 || f[0].Length != 0) continue; // not a well-formed reply: drop, as libzmq does
            Volatile.Write(ref _awaitingReply, 0);
            return new ZmqMessage(f[1..]);
        }
    }

    public override void ResetRequestState()
    {
        Volatile.Write(ref _awaitingReply, 0);
        while (TryReadIncoming(out _)) { }
    }
}
