using System.Threading.Channels;

namespace JupyterKernels.Zmtp;

/// <summary>
/// DEALER: one socket-wide outgoing queue (bounded by SendHighWatermark) that every connected peer's write
/// loop drains. Messages therefore wait while no peer is connected and survive reconnects, and with
/// several peers each message goes to whichever connection is ready (load balancing by pull, not a strict
/// round-robin). Receives are fair-queued by arrival.
/// </summary>
internal sealed class DealerSocket : ZmqSocketBase
{
    private readonly Channel<WireMessage> _outgoing;

    public DealerSocket(ZmqSocketOptions options) : this(ZmqSocketType.Dealer, options) { }

    private DealerSocket(ZmqSocketType type, ZmqSocketOptions options)
        : base(type, options, options.ReceiveHighWatermark)
    {
        _outgoing = CreateSharedQueue(options);
    }

    internal static Channel<WireMessage> CreateSharedQueue(ZmqSocketOptions options)
        => Channel.CreateBounded<WireMessage>(new BoundedChannelOptions(Math.Max(1, options.SendHighWatermark))
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = false,
            SingleWriter = false,
        });

    protected override Channel<WireMessage> SharedOutgoing => _outgoing;

    private readonly ByteBudget _budget = new();

    protected override void OnAttached(ZmtpConnection connection)
    {
        connection.WriteSource = _outgoing.Reader;
        connection.WriteBudget = _budget;
    }

    public override ValueTask SendAsync(IReadOnlyList<ReadOnlyMemory<byte>> frames, CancellationToken cancellationToken = default)
    {
        ThrowIfClosing();
        ArgumentNullException.ThrowIfNull(frames);
        return EnqueueBudgetedAsync(_outgoing, _budget, FrameEncoder.EncodePooled(null, frames), cancellationToken);
    }
}
