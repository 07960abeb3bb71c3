using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using JupyterKernels.Transport.Zmq;

using JupyterKernels.Transport.Sockets;

namespace JupyterKernels.Tests.Zmtp;

/// <summary>
/// The socket layer under ZMTP: non-blocking calls with readiness waits on dedicated threads. What matters: data is
/// intact under back-pressure, every wait ends when the socket closes, connect failures and cancellation are
/// reported, and a completed wait resumes its awaiter on the waiter thread (no thread-pool hand-off).
/// </summary>
public class NonBlockingSocketTests
{
    private static async Task<(NonBlockingSocket Ours, Socket Peer)> PairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var accept = listener.AcceptAsync();
        var ours = await NonBlockingSocket.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndPoint!).Port, "test", T.Token());
        var peer = await accept.WaitAsync(T.Timeout);
        return (ours, peer);
    }

    private static async Task<byte[]> ReceiveExactlyAsync(Socket peer, int length)
    {
        var received = new byte[length];
        int total = 0;
        while (total < length)
        {
            int n = await peer.ReceiveAsync(received.AsMemory(total), SocketFlags.None).AsTask().WaitAsync(T.Timeout);
            Assert.True(n > 0, "peer saw end of stream early");
            total += n;
        }
        return received;
    }

    [Fact]
    public async Task A_receive_that_waits_resumes_on_the_io_thread_with_the_data()
    {
        var (ours, peer) = await PairAsync();
        using var _ = peer;
        try
        {
            var buffer = new byte[16];
            var receive = ours.ReceiveAsync(buffer).AsTask();
            await Task.Delay(50);
            Assert.False(receive.IsCompleted);
            string? resumedOn = null;
            var resumed = receive.ContinueWith(t => { resumedOn = Thread.CurrentThread.Name; return t.Result; }, TaskContinuationOptions.ExecuteSynchronously);
            peer.Send("hello"u8);
            int n = await resumed.WaitAsync(T.Timeout);
            Assert.Equal("hello", System.Text.Encoding.ASCII.GetString(buffer, 0, n));
            // Linux: the process's one I/O thread; elsewhere the socket's own read thread.
            Assert.StartsWith(EpollIoThread.IsSupported ? "ZMTP I/O" : "ZMTP read", resumedOn);
        }
        finally
        {
            ours.Close();
        }
    }

    [Fact]
    public async Task A_send_larger_than_the_socket_buffers_waits_for_the_reader_and_arrives_intact()
    {
        var (ours, peer) = await PairAsync();
        using var _ = peer;
        try
        {
            var data = new byte[16 * 1024 * 1024];
            new Random(7).NextBytes(data);
            var send = ours.SendAsync(data).AsTask();
            await Task.Delay(200);
            Assert.False(send.IsCompleted, "16 MiB should not fit in loopback socket buffers while nobody reads");
            var received = await ReceiveExactlyAsync(peer, data.Length);
            await send.WaitAsync(T.Timeout);
            Assert.True(data.AsSpan().SequenceEqual(received));
        }
        finally
        {
            ours.Close();
        }
    }

    [Fact]
    public async Task A_gather_send_of_many_segments_arrives_in_order()
    {
        var (ours, peer) = await PairAsync();
        using var _ = peer;
        try
        {
            var segments = new List<ArraySegment<byte>>();
            var expected = new List<byte>();
            for (int i = 0; i < 40; i++)
            {
                var part = Enumerable.Repeat((byte)i, 100_000 + i).ToArray();
                segments.Add(new ArraySegment<byte>(part));
                expected.AddRange(part);
            }
            var send = ours.SendAsync(segments).AsTask();
            var received = await ReceiveExactlyAsync(peer, expected.Count);
            await send.WaitAsync(T.Timeout);
            Assert.Equal(expected.ToArray(), received);
            Assert.Empty(segments);
        }
        finally
        {
            ours.Close();
        }
    }

    [Fact]
    public async Task Close_ends_a_pending_receive_and_a_blocked_send_quickly()
    {
        var (ours, peer) = await PairAsync();
        using var _ = peer;
        var receive = ours.ReceiveAsync(new byte[16]).AsTask();
        var send = ours.SendAsync(new byte[32 * 1024 * 1024]).AsTask();
        await Task.Delay(200);
        Assert.False(receive.IsCompleted);
        Assert.False(send.IsCompleted);
        var sw = Stopwatch.StartNew();
        ours.Close();
        await Assert.ThrowsAnyAsync<Exception>(() => send.WaitAsync(T.Timeout));
        var e = await Record.ExceptionAsync(() => receive.WaitAsync(T.Timeout));
        // Shutdown wakes the read with either end-of-stream (0 bytes) or an error; both end the read loop.
        Assert.True(e is IOException or SocketException or ObjectDisposedException || (e is null && receive.Result == 0), e?.ToString());
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(1), $"took {sw.Elapsed}");
        await Assert.ThrowsAsync<IOException>(async () => await ours.ReceiveAsync(new byte[1]));
    }

    [Fact]
    public async Task Connect_to_a_closed_port_is_refused()
    {
        var e = await Assert.ThrowsAsync<SocketException>(() => NonBlockingSocket.ConnectAsync(IPAddress.Loopback, T.FreePort(), "test", T.Token()));
        Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
    }

    [Fact]
    public async Task A_cancelled_connect_ends_with_OperationCanceled_and_never_hangs()
    {
        // A listener with a backlog of 0 that never accepts: Linux completes one handshake and drops the SYNs of the
        // rest, so our connect stays in progress until cancelled.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(0);
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        using var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        filler.Connect(IPAddress.Loopback, port);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var sw = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => NonBlockingSocket.ConnectAsync(IPAddress.Loopback, port, "test", cts.Token));
        Assert.True(sw.Elapsed >= TimeSpan.FromMilliseconds(250), $"ended after {sw.Elapsed}: the connect was not pending");
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(2), $"took {sw.Elapsed}");
    }
}
