using System.Net.Sockets;

using JupyterKernels.Transport.Sockets;

namespace JupyterKernels.Transport.Tcp;

/// <summary>
/// The stream under the gateway's HTTP/WebSocket stack on Linux: a <see cref="NonBlockingSocket"/> (owned) whose reads
/// re-arm TCP_QUICKACK after every read that returned data, so the peer's next segment is ACKed at once instead of
/// after the delayed-ACK timer (see <see cref="QuickAckConnector"/> for why).
/// </summary>
/// <remarks>
/// Why not a NetworkStream: .NET's socket engine completes every read on its epoll thread and hands it to a
/// thread-pool worker, so each WebSocket message cost a worker wake-up before our code saw it, and the workers'
/// spinning took CPU that the server and kernel on the same host needed (bench: remote, same finding as the local
/// ZeroMQ path). Here a read that has to wait is woken on the connection's own reader thread
/// (<see cref="ReadinessWaiter"/>), and what awaits it — TLS, the WebSocket frame, our receive loop, the client's
/// dispatch — runs straight on from that one wake-up. Writes go out synchronously (non-blocking send; a full socket
/// buffer waits on a writer thread). A cancelled read or write closes the connection: the HTTP stack and the WebSocket
/// both abandon a connection whose operation was cancelled, so nothing could use it afterwards anyway.
/// </remarks>
internal sealed class QuickAckSocketStream : Stream
{
    // Linux <netinet/in.h> / <netinet/tcp.h>.
    private const int IpProtoTcp = 6;
    private const int TcpQuickAck = 12;
    private static readonly byte[] On = BitConverter.GetBytes(1);

    private readonly NonBlockingSocket _connection;
    private readonly QuickAckConnector? _owner;
    private volatile bool _rearmDisabled;

    public QuickAckSocketStream(NonBlockingSocket connection, QuickAckConnector? owner = null, bool rearm = true)
    {
        _connection = connection;
        _owner = owner;
        _rearmDisabled = !rearm;
        Rearm();
    }

    /// <summary>The socket (options and diagnostics only: all I/O goes through this stream).</summary>
    public Socket Socket => _connection.Socket;

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Flush() { }
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled<int>(cancellationToken);
        var read = _connection.ReceiveAsync(buffer);
        if (read.IsCompletedSuccessfully) return new ValueTask<int>(AfterRead(read.Result));
        return WaitForReadAsync(read, cancellationToken);
    }

    private async ValueTask<int> WaitForReadAsync(ValueTask<int> read, CancellationToken cancellationToken)
    {
        using var closeOnCancel = Cancellable(cancellationToken);
        try
        {
            return AfterRead(await read.ConfigureAwait(false));
        }
        catch (IOException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        catch (SocketException e)
        {
            throw AsIOException(e);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Synchronous reads (the HTTP stack's sync API; we never use it) wait on the calling thread.</summary>
    public override int Read(Span<byte> buffer)
    {
        while (true)
        {
            int n = Socket.Receive(buffer, SocketFlags.None, out var error);
            if (error == SocketError.Success) return AfterRead(n);
            if (error != SocketError.WouldBlock) throw AsIOException(new SocketException((int)error));
            Socket.Poll(-1, SelectMode.SelectRead);
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled(cancellationToken);
        var write = _connection.SendAsync(buffer);
        if (write.IsCompletedSuccessfully) return default;
        return WaitForWriteAsync(write, cancellationToken);
    }

    private async ValueTask WaitForWriteAsync(ValueTask write, CancellationToken cancellationToken)
    {
        using var closeOnCancel = Cancellable(cancellationToken);
        try
        {
            await write.ConfigureAwait(false);
        }
        catch (IOException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        catch (SocketException e)
        {
            throw AsIOException(e);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            int n;
            try { n = _connection.TrySend(buffer); }
            catch (SocketException e) { throw AsIOException(e); }
            if (n > 0) buffer = buffer[n..];
            else Socket.Poll(-1, SelectMode.SelectWrite);
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <summary>Socket errors surface as IOException, as from a NetworkStream: what the HTTP and WebSocket layers expect.</summary>
    private static IOException AsIOException(SocketException e) => new($"Unable to read or write the connection: {e.Message}", e);

    private CancellationTokenRegistration Cancellable(CancellationToken cancellationToken)
        => cancellationToken.CanBeCanceled ? cancellationToken.UnsafeRegister(static s => ((NonBlockingSocket)s!).Close(), _connection) : default;

    private int AfterRead(int read)
    {
        if (read > 0) Rearm();
        return read;
    }

    private void Rearm()
    {
        if (_rearmDisabled) return;
        try
        {
            Socket.SetRawSocketOption(IpProtoTcp, TcpQuickAck, On);
            _owner?.CountRearm();
        }
        catch (SocketException)
        {
            _rearmDisabled = true; // not supported here: plain delayed ACKs
        }
        catch (ObjectDisposedException)
        {
            _rearmDisabled = true; // closed under us; the read that follows reports it
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _connection.Close();
        base.Dispose(disposing);
    }
}
