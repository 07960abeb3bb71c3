using System.Buffers.Binary;
using System.Threading.Channels;

namespace JupyterKernels.Transport.Zmq;

/// <summary>
/// ROUTER: each peer has a routing id (its READY Identity, or a generated 5-byte 00+uint32 id as libzmq
/// does) and its own outgoing queue. Received messages get the id prepended; sends are routed by frame 0.
/// Unknown ids and full queues drop silently (libzmq without ROUTER_MANDATORY). A second peer with the same
/// identity takes it over (ROUTER_HANDOVER, which ipykernel enables); the old peer gets a generated id.
/// </summary>
internal sealed class RouterSocket : ZmqSocketBase
{
    private readonly Dictionary<byte[], ZmtpConnection> _peers = new(ByteArrayComparer.Instance);
    private uint _nextId = (uint)Random.Shared.Next();

    public RouterSocket(ZmqSocketOptions options) : base(TestSocketRules.Router, options, options.ReceiveHighWatermark) { }

    protected override void OnAttached(ZmtpConnection connection)
    {
        connection.Outgoing = Channel.CreateBounded<WireMessage>(new BoundedChannelOptions(Math.Max(1, Options.SendHighWatermark))
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
        connection.WriteSource = connection.Outgoing.Reader;
        var id = connection.PeerIdentity.Length > 0 ? connection.PeerIdentity : GenerateId();
        if (_peers.TryGetValue(id, out var previous))
        {
            previous.PeerState = GenerateId();
            _peers[RoutingId(previous)] = previous;
        }
        connection.PeerState = id;
        _peers[id] = connection;
    }

    protected override void OnDetached(ZmtpConnection connection)
    {
        if (_peers.TryGetValue(RoutingId(connection), out var current) && ReferenceEquals(current, connection))
            _peers.Remove(RoutingId(connection));
    }

    /// <summary>The routing id this peer is known by.</summary>
    private static byte[] RoutingId(ZmtpConnection connection) => (byte[])connection.PeerState!;

    private byte[] GenerateId()
    {
        var id = new byte[5];
        BinaryPrimitives.WriteUInt32BigEndian(id.AsSpan(1), _nextId++);
        return id;
    }

    public override async ValueTask<ZmqMessage> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        var item = await ReadIncomingAsync(cancellationToken).ConfigureAwait(false);
        var frames = new byte[item.Frames.Length + 1][];
        frames[0] = RoutingId(item.Connection);
        Array.Copy(item.Frames, 0, frames, 1, item.Frames.Length);
        return new ZmqMessage(frames);
    }

    public override ValueTask SendAsync(IReadOnlyList<ReadOnlyMemory<byte>> frames, CancellationToken cancellationToken = default)
    {
        ThrowIfClosing();
        ArgumentNullException.ThrowIfNull(frames);
        if (frames.Count < 2) throw new ArgumentException("ROUTER messages need a routing id frame and at least one body frame", nameof(frames));
        ZmtpConnection? target;
        lock (Sync)
            _peers.TryGetValue(frames[0].ToArray(), out target);
        if (target?.Outgoing is { } queue) queue.Writer.TryWrite(FrameEncoder.EncodePooled(null, frames, start: 1));
        return ValueTask.CompletedTask;
    }
}

/// <summary>Content equality for byte arrays used as dictionary keys.</summary>
internal sealed class ByteArrayComparer : IEqualityComparer<byte[]>
{
    public static readonly ByteArrayComparer Instance = new();

    public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

    public int GetHashCode(byte[] obj)
    {
        var hash = new HashCode();
        hash.AddBytes(obj);
        return hash.ToHashCode();
    }
}
