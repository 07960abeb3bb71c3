using System.Threading.Channels;

namespace JupyterKernels.Transport.Zmq;

/// <summary>
/// REP: receives strip and remember the envelope (routing frames up to and including the empty delimiter)
/// and the connection; the next send goes back to that connection with the envelope restored.
/// </summary>
internal sealed class RepSocket : ZmqSocketBase
{
    private int _state; // 0 = waiting for a request, 1 = owes a reply
    private ZmtpConnection? _replyTo;
    private ReadOnlyMemory<byte>[] _envelope = Array.Empty<ReadOnlyMemory<byte>>();

    public RepSocket(ZmqSocketOptions options) : base(TestSocketRules.Rep, options, options.ReceiveHighWatermark) { }

    protected override void OnAttached(ZmtpConnection connection)
    {
        connection.Outgoing = Channel.CreateBounded<WireMessage>(new BoundedChannelOptions(Math.Max(1, Options.SendHighWatermark))
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
        connection.WriteSource = connection.Outgoing.Reader;
    }

    public override async ValueTask<ZmqMessage> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _state) != 0)
            throw new ZmqException("REP: a reply is owed to the last request; send it before receiving.");
        while (true)
        {
            var item = await ReadIncomingAsync(cancellationToken).ConfigureAwait(false);
            var f = item.Frames;
            int delimiter = Array.FindIndex(f, x => x.Length == 0);
            if (delimiter < 0 || delimiter == f.Length - 1) continue; // no envelope or no body: drop (libzmq drops too)
            _envelope = f[..(delimiter + 1)].Select(x => (ReadOnlyMemory<byte>)x).ToArray();
            _replyTo = item.Connection;
            Volatile.Write(ref _state, 1);
            return new ZmqMessage(f[(delimiter + 1)..]);
        }
    }

    public override ValueTask SendAsync(IReadOnlyList<ReadOnlyMemory<byte>> frames, CancellationToken cancellationToken = default)
    {
        ThrowIfClosing();
        ArgumentNullException.ThrowIfNull(frames);
        if (frames.Count == 0) throw new ArgumentException("a message needs at least one frame", nameof(frames));
        if (Volatile.Read(ref _state) != 1)
            throw new ZmqException("REP: receive a request before sending a reply.");
        var wire = FrameEncoder.EncodePooled(_envelope, frames);
        var target = _replyTo;
        _replyTo = null;
        Volatile.Write(ref _state, 0);
        // If the requester went away (or its queue is full) the reply is dropped, as in libzmq.
        target?.Outgoing?.Writer.TryWrite(wire);
        return ValueTask.CompletedTask;
    }
}
