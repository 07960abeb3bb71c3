using System.Net.Sockets;

namespace JupyterKernels.Transport.Tcp;

/// <summary>
/// A <see cref="NetworkStream"/> (owning its socket) that re-arms TCP_QUICKACK after every read that returned data,
/// so the peer's next segment is ACKed at once instead of after the delayed-ACK timer (see
/// <see cref="QuickAckConnector"/> for why). One setsockopt per read; if the option is refused once, it is not
/// tried again on this socket.
/// </summary>
internal sealed class QuickAckNetworkStream : NetworkStream
{
    // Linux <netinet/in.h> / <netinet/tcp.h>.
    private const int IpProtoTcp = 6;
    private const int TcpQuickAck = 12;
    private static readonly byte[] On = BitConverter.GetBytes(1);

    private readonly QuickAckConnector? _owner;
    private volatile bool _disabled;

    public QuickAckNetworkStream(Socket socket, QuickAckConnector? owner = null) : base(socket, ownsSocket: true)
    {
        _owner = owner;
        Rearm();
    }

    public override int Read(byte[] buffer, int offset, int count) => AfterRead(base.Read(buffer, offset, count));

    public override int Read(Span<byte> buffer) => AfterRead(base.Read(buffer));

    public override int ReadByte()
    {
        int b = base.ReadByte();
        if (b >= 0) Rearm();
        return b;
    }

    public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => AfterRead(await base.ReadAsync(buffer, offset, count, cancellationToken).ConfigureAwait(false));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        => AfterRead(await base.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

    public override int EndRead(IAsyncResult asyncResult) => AfterRead(base.EndRead(asyncResult));

    private int AfterRead(int read)
    {
        if (read > 0) Rearm();
        return read;
    }

    private void Rearm()
    {
        if (_disabled) return;
        try
        {
            Socket.SetRawSocketOption(IpProtoTcp, TcpQuickAck, On);
            _owner?.CountRearm();
        }
        catch (SocketException)
        {
            _disabled = true; // not supported here: plain delayed ACKs, as without this stream
        }
        catch (ObjectDisposedException)
        {
            _disabled = true; // closed under us; the read that follows reports it
        }
    }
}
