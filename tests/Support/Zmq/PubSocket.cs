using System.Threading.Channels;

namespace JupyterKernels.Transport.Zmq;

/// <summary>
/// PUB and XPUB: each subscriber has its own topic set and bounded queue; a message is encoded once and
/// queued to every subscriber whose topics prefix-match frame 0, dropping for subscribers whose queue is full
/// (libzmq PUB behaviour). Subscriptions are accepted both as 3.1 SUBSCRIBE/CANCEL commands and as 3.0
/// 0x01/0x00-prefixed messages. XPUB also hands subscription changes to ReceiveAsync as 1-byte-prefixed
/// frames, libzmq-style (non-verbose: a topic is reported when its first subscriber arrives and when its
/// last one leaves), so a test kernel can answer with iopub_welcome.
/// </summary>
internal sealed class PubSocket : ZmqSocketBase
{
    private readonly bool _xpub;
    private readonly SubscriptionSet _all = new(); // topic -> number of subscribers holding it

    public PubSocket(bool xpub, ZmqSocketOptions options)
        : base(xpub ? TestSocketRules.XPub : TestSocketRules.Pub, options, options.ReceiveHighWatermark)
    {
        _xpub = xpub;
    }

    protected override void OnAttached(ZmtpConnection connection)
    {
        connection.Outgoing = Channel.CreateBounded<WireMessage>(new BoundedChannelOptions(Math.Max(1, Options.SendHighWatermark))
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
        connection.WriteSource = connection.Outgoing.Reader;
        connection.PeerState = new SubscriptionSet();
    }

    protected override void OnDetached(ZmtpConnection connection)
    {
        // The subscriber is gone: its topics go too; XPUB reports topics nobody holds any more.
        if (connection.PeerState is not SubscriptionSet subs) return;
        foreach (var topic in subs.Topics.ToList())
        {
            if (_all.Remove(topic) == 0 && _xpub)
                Incoming.Writer.TryWrite(new Incoming(connection, new[] { Prefixed(0, topic) }));
        }
    }

    internal override ValueTask OnMessageAsync(ZmtpConnection connection, byte[][] frames, CancellationToken ct)
    {
        // Only 3.0-style subscription messages are meaningful from a subscriber; anything else is dropped.
        if (frames.Length == 1 && frames[0].Length >= 1 && frames[0][0] <= 1)
            return OnSubscriptionAsync(connection, frames[0][0] == 1, frames[0][1..], ct);
        return ValueTask.CompletedTask;
    }

    internal override ValueTask OnSubscriptionAsync(ZmtpConnection connection, bool subscribe, byte[] topic, CancellationToken ct)
    {
        bool report;
        lock (Sync)
        {
            var subs = (SubscriptionSet)connection.PeerState!;
            // Per subscriber a topic is a set member (like libzmq's mtrie): repeated subscribes count once.
            if (subscribe)
            {
                if (subs.Contains(topic)) return ValueTask.CompletedTask;
                subs.Add(topic);
                report = _all.Add(topic) == 1;
            }
            else
            {
                if (!subs.Contains(topic)) return ValueTask.CompletedTask;
                subs.Remove(topic);
                report = _all.Remove(topic) == 0;
            }
        }
        if (!_xpub || !report) return ValueTask.CompletedTask;
        return Incoming.Writer.WriteAsync(new Incoming(connection, new[] { Prefixed(subscribe ? (byte)1 : (byte)0, topic) }), ct);
    }

    private static byte[] Prefixed(byte first, byte[] topic)
    {
        var frame = new byte[topic.Length + 1];
        frame[0] = first;
        topic.CopyTo(frame, 1);
        return frame;
    }

    public override ValueTask<ZmqMessage> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        if (!_xpub) throw new NotSupportedException("PUB sockets cannot receive; use XPUB to see subscriptions.");
        return base.ReceiveAsync(cancellationToken);
    }

    public override ValueTask SendAsync(IReadOnlyList<ReadOnlyMemory<byte>> frames, CancellationToken cancellationToken = default)
    {
        ThrowIfClosing();
        ArgumentNullException.ThrowIfNull(frames);
        if (frames.Count == 0) throw new ArgumentException("a message needs at least one frame", nameof(frames));
        var topic = frames[0].Span;
        byte[]? wire = null;
        lock (Sync)
        {
            foreach (var connection in Connections)
            {
                if (connection.PeerState is not SubscriptionSet subs || !subs.Matches(topic)) continue;
                wire ??= FrameEncoder.EncodeMessage(null, frames);
                connection.Outgoing!.Writer.TryWrite(wire); // full queue: drop for this subscriber
            }
        }
        return ValueTask.CompletedTask;
    }
}
