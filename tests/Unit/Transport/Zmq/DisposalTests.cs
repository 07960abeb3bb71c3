using System.Diagnostics;
using JupyterKernels.Transport.Zmq;

namespace JupyterKernels.Tests.Zmtp;

/// <summary>Disposal is bounded: pending receives end, dead endpoints don't hold it up, linger is respected.</summary>
public class DisposalTests
{
    [Theory]
    [InlineData(nameof(TestSocketType.Dealer))]
    [InlineData(nameof(TestSocketType.Router))]
    [InlineData(nameof(TestSocketType.Sub))]
    [InlineData(nameof(TestSocketType.Req))]
    public async Task Dispose_ends_a_pending_receive(string socketType)
    {
        var type = Enum.Parse<TestSocketType>(socketType); // a theory's arguments are public types; the socket types are internal
        var s = TestSockets.Create(type, T.Fast);
        await s.BindAsync("tcp://127.0.0.1:0");
        if (type == TestSocketType.Req) await s.SendAsync(T.Msg("q"), T.Token());
        var pending = s.ReceiveAsync(T.Token()).AsTask();
        await Task.Delay(50);
        var sw = Stopwatch.StartNew();
        await s.DisposeAsync().AsTask().WaitAsync(T.Timeout);
        var e = await Assert.ThrowsAnyAsync<Exception>(() => pending.WaitAsync(T.Timeout));
        Assert.True(e is ObjectDisposedException or OperationCanceledException, e.GetType().Name);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(2), $"dispose took {sw.Elapsed}");
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await s.ReceiveAsync(T.Token()));
        if (type != TestSocketType.Sub)
            await Assert.ThrowsAsync<ZmqException>(async () => await s.SendAsync(T.Msg("x"), T.Token()));
    }

    [Fact]
    public async Task Dispose_while_connecting_to_a_dead_port_is_quick()
    {
        var s = ZmqSocket.Create(ZmqSocketType.Dealer, T.Fast with { Linger = TimeSpan.Zero });
        await s.ConnectAsync($"tcp://127.0.0.1:{T.FreePort()}");
        await s.ConnectAsync("tcp://10.255.255.1:5555"); // unroutable: connect hangs until cancelled
        await Task.Delay(100);
        var sw = Stopwatch.StartNew();
        await s.DisposeAsync().AsTask().WaitAsync(T.Timeout);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(1), $"dispose took {sw.Elapsed}");
    }

    [Fact]
    public async Task Dispose_with_queued_messages_and_no_peer_waits_at_most_linger()
    {
        var s = ZmqSocket.Create(ZmqSocketType.Dealer, T.Fast with { Linger = TimeSpan.FromMilliseconds(300) });
        await s.ConnectAsync($"tcp://127.0.0.1:{T.FreePort()}");
        for (int i = 0; i < 10; i++) await s.SendAsync(T.Msg("queued"), T.Token());
        var sw = Stopwatch.StartNew();
        await s.DisposeAsync().AsTask().WaitAsync(T.Timeout);
        Assert.InRange(sw.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task Dispose_flushes_queued_messages_to_a_connected_peer()
    {
        await using var router = TestSockets.Create(TestSocketType.Router, T.Fast);
        int port = await router.BindAsync("tcp://127.0.0.1:0");
        var dealer = ZmqSocket.Create(ZmqSocketType.Dealer, T.Fast with { Linger = TimeSpan.FromSeconds(2) });
        var connected = T.WaitEvent(dealer, ZmqConnectionEventKind.Connected);
        await dealer.ConnectAsync($"tcp://127.0.0.1:{port}");
        await connected;
        for (int i = 0; i < 500; i++) await dealer.SendAsync(T.Msg(T.Payload(1000, i)), T.Token());
        await dealer.DisposeAsync().AsTask().WaitAsync(T.Timeout);
        for (int i = 0; i < 500; i++) Assert.Equal(T.Payload(1000, i), (await T.Recv(router))[1]);
    }

    [Fact]
    public async Task Blocked_send_at_high_watermark_is_cancellable_and_dispose_is_idempotent()
    {
        var s = ZmqSocket.Create(ZmqSocketType.Dealer, T.Fast with { SendHighWatermark = 2, Linger = TimeSpan.Zero });
        await s.ConnectAsync($"tcp://127.0.0.1:{T.FreePort()}");
        await s.SendAsync(T.Msg("1"), T.Token());
        await s.SendAsync(T.Msg("2"), T.Token());
        using var cts = new CancellationTokenSource(200);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await s.SendAsync(T.Msg("3"), cts.Token));
        await s.DisposeAsync();
        await s.DisposeAsync();
    }
}
