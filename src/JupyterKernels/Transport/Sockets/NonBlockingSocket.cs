using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace JupyterKernels.Transport.Sockets;

/// <summary>
/// A TCP connection driven the way libzmq drives its sockets: non-blocking system calls, with waits for readiness on
/// the process's one I/O thread (<see cref="EpollIoThread"/>, Linux) or on per-socket threads
/// (<see cref="ReadinessWaiter"/>, elsewhere) instead of .NET's socket engine. Every socket the engine has seen
/// once stays registered with its epoll thread, which then queues a thread-pool work item for every readiness event,
/// even with no operation pending: about one worker wake-up per message received, and the workers' spinning took
/// CPU the kernel on the other end needed (bench: roundtrip). So this type never uses an async Socket method.
/// One receive and one send may be in flight at a time (ZmtpConnection's loops and its write lock ensure it).
/// </summary>
internal sealed class NonBlockingSocket
{
    // Close() shuts the socket down, which wakes a read's poll() at once; the slice is only a backstop, long enough
    // that hundreds of idle connections cost no measurable CPU (bench: idle).
    private static readonly TimeSpan ReadSlice = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan WriteSlice = TimeSpan.FromMilliseconds(100);

    private readonly IReadiness _readable;
    private readonly IReadiness _writable;
    private int _closed;

    public NonBlockingSocket(Socket socket, string name)
    {
        Socket = socket;
        socket.Blocking = false;
        socket.NoDelay = true;
        if (EpollIoThread.IsSupported)
        {
            var pair = EpollIoThread.CreatePair(socket);
            _readable = pair[0];
            _writable = pair[1];
        }
        else
        {
            _readable = new ReadinessWaiter(socket, SelectMode.SelectRead, $"ZMTP read {name}", ReadSlice);
            _writable = new ReadinessWaiter(socket, SelectMode.SelectWrite, $"ZMTP write {name}", WriteSlice);
        }
    }

    public Socket Socket { get; }

    /// <summary>Connects without the socket engine; a cancelled or timed-out attempt closes the socket.</summary>
    public static async Task<NonBlockingSocket> ConnectAsync(IPAddress address, int port, string name, CancellationToken ct)
    {
        var connection = new NonBlockingSocket(new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp), name);
        try
        {
            try
            {
                connection.Socket.Connect(address, port);
                return connection;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress or SocketError.IOPending)
            {
                // In progress: writable once connected or failed; SO_ERROR says which.
            }
            // On loopback the outcome (connected, or refused while a kernel is still starting) is usually known at
            // once: check before involving a waiter thread, which reconnect attempts would otherwise start by the
            // hundred while many kernels start (bench: concurrent).
            // Loop: an edge (epoll) only says "look again".
            while (!ct.IsCancellationRequested
                   && !(connection.Socket.Poll(0, SelectMode.SelectWrite) || connection.Socket.Poll(0, SelectMode.SelectError)))
                await connection.WaitConnectedAsync(ct).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
            var error = (SocketError)(int)connection.Socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
            if (error != SocketError.Success) throw new SocketException((int)error);
            return connection;
        }
        catch (ObjectDisposedException e) when (ct.IsCancellationRequested)
        {
            // Cancellation closed the socket under a readiness check.
            connection.Close();
            throw new OperationCanceledException("connect cancelled", e, ct);
        }
        catch
        {
            connection.Close();
            throw;
        }
    }

    private async Task WaitConnectedAsync(CancellationToken ct)
    {
        using var closeOnCancel = ct.Register(static s => ((NonBlockingSocket)s!).Close(), this);
        try
        {
            await _writable.WaitAsync().ConfigureAwait(false);
        }
        catch (IOException) when (ct.IsCancellationRequested)
        {
            throw new OperationCanceledException(ct);
        }
    }

    /// <summary>Reads what is there (waiting for something if nothing is); 0 = the peer closed.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer)
    {
        while (true)
        {
            ThrowIfClosed();
            int n = Socket.Receive(buffer.Span, SocketFlags.None, out var error);
            if (Completed(error)) return n;
            await _readable.WaitAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Sends what the socket buffer takes now, without waiting; returns the bytes sent (maybe 0).</summary>
    public int TrySend(ReadOnlySpan<byte> data)
    {
        ThrowIfClosed();
        int n = Socket.Send(data, SocketFlags.None, out var error);
        return Completed(error) ? n : 0;
    }

    /// <summary>Sends all of <paramref name="data"/>, waiting for room when the socket buffer is full.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendAsync(ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            int n = TrySend(data.Span);
            if (n > 0) data = data[n..];
            else await _writable.WaitAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Gather-sends all segments (the list is consumed: sent segments are removed or trimmed).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendAsync(List<ArraySegment<byte>> segments)
    {
        while (segments.Count > 0)
        {
            ThrowIfClosed();
            int n = Socket.Send(segments, SocketFlags.None, out var error);
            if (!Completed(error))
            {
                await _writable.WaitAsync().ConfigureAwait(false);
                continue;
            }
            int drop = 0;
            while (drop < segments.Count && n >= segments[drop].Count) n -= segments[drop++].Count;
            segments.RemoveRange(0, drop);
            if (n > 0) segments[0] = segments[0].Slice(n);
        }
    }

    /// <summary>True when the call did its work, false when it would have blocked; throws for any other error.</summary>
    private static bool Completed(SocketError error) => error switch
    {
        SocketError.Success => true,
        SocketError.WouldBlock => false,
        _ => throw new SocketException((int)error),
    };

    // Closed (by us) is an IOException like any other end of the connection, never an ObjectDisposedException. A close
    // racing a call that already passed this check surfaces as ObjectDisposedException, which callers treat alike.
    private void ThrowIfClosed()
    {
        if (Volatile.Read(ref _closed) != 0) throw new IOException("the connection was closed");
    }

    /// <summary>Shuts down and closes; pending waits fail with IOException. Idempotent.</summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        // Shutdown first: it wakes a poll() in progress with end-of-stream.
        try { Socket.Shutdown(SocketShutdown.Both); } catch (Exception) { /* not connected, or already closed */ }
        _readable.Close();
        _writable.Close();
        Socket.Dispose();
    }
}
