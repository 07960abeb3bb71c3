using System.Threading.Channels;

namespace JupyterKernels.Transport.Zmq;

/// <summary>
/// SUB: keeps a counted list of subscriptions, sends each to every publisher in the form the publisher
/// understands (3.1 command or 3.0 message, by negotiated version), re-sends them all after every
/// (re)connect, and filters locally too. Its receive queue is large because a kernel's PUB/XPUB drops
/// messages for a subscriber that stops reading.
/// </summary>
internal sealed class SubSocket : ZmqSocketBase
{
    private const int MinimumReceiveCapacity = 100_000;
    private readonly SubscriptionSet _subscriptions = new();

    public SubSocket(ZmqSocketOptions options)
        : base(SocketTypeRules.Sub, options, Math.Max(options.ReceiveHighWatermark, MinimumReceiveCapacity)) { }

    /// <summary>No byte cap: a SUB must keep draining, or the kernel's PUB drops messages for us.</summary>
    protected override ByteBudget? ReceiveBudget => null;

    protected override void OnAttached(ZmtpConnection connection)
    {
        // Unbounded: it only ever carries subscriptions, which the user controls.
        connection.Outgoing = Channel.CreateUnbounded<WireMessage>(new UnboundedChannelOptions { SingleReader = true });
        connection.WriteSource = connection.Outgoing.Reader;
        foreach (var topic in _subscriptions.Topics)
            connection.Outgoing.Writer.TryWrite(ZmtpCommands.BuildSubscription(true, topic, connection.PeerMinor));
    }

    public override void Subscribe(ReadOnlySpan<byte> prefix)
    {
        ThrowIfClosing();
        lock (Sync)
        {
            _subscriptions.Add(prefix);
            foreach (var c in Connections)
                c.Outgoing!.Writer.TryWrite(ZmtpCommands.BuildSubscription(true, prefix, c.PeerMinor));
        }
    }

    public override void Unsubscribe(ReadOnlySpan<byte> prefix)
    {
        ThrowIfClosing();
        lock (Sync)
        {
            // Subscriptions add up: only the last matching Unsubscribe cancels at the publisher.
            if (_subscriptions.Remove(prefix) != 0) return;
            foreach (var c in Connections)
                c.Outgoing!.Writer.TryWrite(ZmtpCommands.BuildSubscription(false, prefix, c.PeerMinor));
        }
    }

    internal override ValueTask OnMessageAsync(ZmtpConnection connection, byte[][] frames, CancellationToken ct)
    {
        bool wanted;
        lock (Sync) wanted = _subscriptions.Matches(frames[0]);
        return wanted ? base.OnMessageAsync(connection, frames, ct) : ValueTask.CompletedTask;
    }

    public override ValueTask SendAsync(IReadOnlyList<ReadOnlyMemory<byte>> frames, CancellationToken cancellationToken = default)
        => throw new NotSupportedException("SUB sockets cannot send messages; use Subscribe/Unsubscribe.");
}
