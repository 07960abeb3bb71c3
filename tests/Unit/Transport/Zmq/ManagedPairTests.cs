using System.Text;
using JupyterKernels.Transport.Zmq;

namespace JupyterKernels.Tests.Zmtp;

/// <summary>Managed socket talking to managed socket over loopback TCP.</summary>
public class ManagedPairTests
{
    private static async Task<(IZmqSocket Server, IZmqSocket Client)> Pair(TestSocketType server, TestSocketType client,
        ZmqSocketOptions? clientOptions = null)
    {
        var s = TestSockets.Create(server, T.Fast);
        int port = await s.BindAsync("tcp://127.0.0.1:0");
        var c = TestSockets.Create(client, clientOptions ?? T.Fast);
        await c.ConnectAsync($"tcp://127.0.0.1:{port}");
        return (s, c);
    }

    [Fact]
    public async Task Dealer_to_router_with_identity_and_reply()
    {
        var (router, dealer) = await Pair(TestSocketType.Router, TestSocketType.Dealer,
            T.Fast with { RoutingId = "client-1"u8.ToArray() });
        await using var _r = router;
        await using var _d = dealer;

        await T.Send(dealer, T.Msg("hello", "", "world"));
        var m = await T.Recv(router);
        Assert.Equal(new[] { "client-1", "hello", "", "world" }, m.Frames.Select(T.S));

        await T.Send(router, T.Msg("client-1", "reply"));
        var back = await T.Recv(dealer);
        Assert.Equal(new[] { "reply" }, back.Frames.Select(T.S));

        // Unknown routing id: dropped silently, socket keeps working.
        await T.Send(router, T.Msg("nobody", "lost"));
        await T.Send(router, T.Msg("client-1", "second"));
        Assert.Equal("second", T.S((await T.Recv(dealer))[0]));
    }

    [Fact]
    public async Task Router_hands_a_duplicate_identity_over_to_the_newest_peer()
    {
        await using var router = TestSockets.Create(TestSocketType.Router, T.Fast);
        int port = await router.BindAsync("tcp://127.0.0.1:0");
        var options = T.Fast with { RoutingId = "same"u8.ToArray() };
        await using var first = ZmqSocket.Create(ZmqSocketType.Dealer, options);
        await first.ConnectAsync($"tcp://127.0.0.1:{port}");
        await T.Send(first, T.Msg("from-first"));
        Assert.Equal("same", T.S((await T.Recv(router))[0]));

        await using var second = ZmqSocket.Create(ZmqSocketType.Dealer, options);
        await second.ConnectAsync($"tcp://127.0.0.1:{port}");
        await T.Send(second, T.Msg("from-second"));
        var m = await T.Recv(router);
        Assert.Equal(new[] { "same", "from-second" }, m.Frames.Select(T.S));
        await T.Send(router, T.Msg("same", "to-newest"));
        Assert.Equal("to-newest", T.S((await T.Recv(second))[0]));
    }

    [Fact]
    public async Task Router_generates_5_byte_ids_for_anonymous_peers()
    {
        var (router, dealer) = await Pair(TestSocketType.Router, TestSocketType.Dealer);
        await using var _r = router;
        await using var _d = dealer;
        await T.Send(dealer, T.Msg("x"));
        var m = await T.Recv(router);
        Assert.Equal(5, m[0].Length);
        Assert.Equal(0, m[0][0]);
        await router.SendAsync(T.Msg(m[0], "y"u8.ToArray()), T.Token());
        Assert.Equal("y", T.S((await T.Recv(dealer))[0]));
    }

    [Fact]
    public async Task Dealer_queues_before_connect_and_preserves_order_and_sizes()
    {
        int port = T.FreePort();
        await using var dealer = ZmqSocket.Create(ZmqSocketType.Dealer, T.Fast);
        await dealer.ConnectAsync($"tcp://127.0.0.1:{port}");
        var sizes = new[] { 0, 1, 255, 256, 65536, 1 << 20 };
        foreach (var (size, i) in sizes.Select((s, i) => (s, i)))
            await T.Send(dealer, T.Msg(T.Payload(size, i), Encoding.ASCII.GetBytes(i.ToString())));

        await using var router = TestSockets.Create(TestSocketType.Router, T.Fast);
        await router.BindAsync($"tcp://127.0.0.1:{port}");
        for (int i = 0; i < sizes.Length; i++)
        {
            var m = await T.Recv(router);
            Assert.Equal(T.Payload(sizes[i], i), m[1]);
            Assert.Equal(i.ToString(), T.S(m[2]));
        }
    }

    [Fact]
    public async Task Dealer_deals_round_robin_to_connected_peers()
    {
        await using var r1 = TestSockets.Create(TestSocketType.Router, T.Fast);
        await using var r2 = TestSockets.Create(TestSocketType.Router, T.Fast);
        int p1 = await r1.BindAsync("tcp://127.0.0.1:0");
        int p2 = await r2.BindAsync("tcp://127.0.0.1:0");
        await using var dealer = ZmqSocket.Create(ZmqSocketType.Dealer, T.Fast);
        int connected = 0;
        var both = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        dealer.ConnectionEvent += (_, e) =>
        {
            if (e.Kind == ZmqConnectionEventKind.Connected && Interlocked.Increment(ref connected) == 2) both.TrySetResult();
        };
        await dealer.ConnectAsync($"tcp://127.0.0.1:{p1}");
        await dealer.ConnectAsync($"tcp://127.0.0.1:{p2}");
        await both.Task.WaitAsync(T.Timeout);

        for (int i = 0; i < 10; i++) await T.Send(dealer, T.Msg(i.ToString()));
        var got1 = new List<int>();
        var got2 = new List<int>();
        for (int i = 0; i < 5; i++) got1.Add(int.Parse(T.S((await T.Recv(r1))[1])));
        for (int i = 0; i < 5; i++) got2.Add(int.Parse(T.S((await T.Recv(r2))[1])));
        Assert.Equal(Enumerable.Range(0, 10), got1.Concat(got2).Order());
        Assert.True(got1.Zip(got1.Skip(1)).All(p => p.Second - p.First == 2), "alternating");
    }

    [Fact]
    public async Task Many_small_messages_arrive_in_order()
    {
        var (router, dealer) = await Pair(TestSocketType.Router, TestSocketType.Dealer);
        await using var _r = router;
        await using var _d = dealer;
        const int n = 20_000;
        var sender = Task.Run(async () =>
        {
            for (int i = 0; i < n; i++) await dealer.SendAsync(T.Msg(BitConverter.GetBytes(i)), T.Token(30));
        });
        for (int i = 0; i < n; i++)
        {
            var m = await T.Recv(router);
            Assert.Equal(i, BitConverter.ToInt32(m[1]));
        }
        await sender.WaitAsync(T.Timeout);
    }

    [Fact]
    public async Task Req_to_rep_alternates_and_strips_envelope()
    {
        var (rep, req) = await Pair(TestSocketType.Rep, TestSocketType.Req);
        await using var _r = rep;
        await using var _q = req;
        for (int i = 0; i < 3; i++)
        {
            await T.Send(req, T.Msg("ping", i.ToString()));
            var m = await T.Recv(rep);
            Assert.Equal(new[] { "ping", i.ToString() }, m.Frames.Select(T.S));
            await Assert.ThrowsAsync<ZmqException>(async () => await rep.ReceiveAsync(T.Token(1)));
            await T.Send(rep, T.Msg("pong", i.ToString()));
            var back = await T.Recv(req);
            Assert.Equal(new[] { "pong", i.ToString() }, back.Frames.Select(T.S));
        }
        await Assert.ThrowsAsync<ZmqException>(async () => await req.ReceiveAsync(T.Token(1)));
        await Assert.ThrowsAsync<ZmqException>(async () => await rep.SendAsync(T.Msg("x"), T.Token(1)));
    }

    [Fact]
    public async Task Req_enforces_alternation_and_reset_recovers()
    {
        var (router, req) = await Pair(TestSocketType.Router, TestSocketType.Req);
        await using var _r = router;
        await using var _q = req;
        await T.Send(req, T.Msg("one"));
        await Assert.ThrowsAsync<ZmqException>(async () => await req.SendAsync(T.Msg("two"), T.Token(1)));
        var first = await T.Recv(router); // [id, "", "one"]
        Assert.Equal(3, first.Count);
        Assert.Empty(first[1]);

        req.ResetRequestState();
        await T.Send(req, T.Msg("two"));
        var second = await T.Recv(router);
        Assert.Equal("two", T.S(second[2]));
        // Late reply to "one" arrives after the reset... then the real one: REQ hands back a delimited reply.
        await router.SendAsync(T.Msg(second[0], Array.Empty<byte>(), "reply-two"u8.ToArray()), T.Token());
        var reply = await T.Recv(req);
        Assert.Equal("reply-two", T.S(reply[0]));
    }

    [Fact]
    public async Task Dealer_to_dealer()
    {
        var (a, b) = await Pair(TestSocketType.Dealer, TestSocketType.Dealer);
        await using var _a = a;
        await using var _b = b;
        await T.Send(b, T.Msg("to-a"));
        Assert.Equal("to-a", T.S((await T.Recv(a))[0]));
        await T.Send(a, T.Msg("to-b", "2"));
        Assert.Equal(new[] { "to-b", "2" }, (await T.Recv(b)).Frames.Select(T.S));
    }

    [Fact]
    public async Task Pub_to_sub_filters_by_prefix()
    {
        var (pub, sub) = await Pair(TestSocketType.Pub, TestSocketType.Sub);
        await using var _p = pub;
        await using var _s = sub;
        sub.Subscribe("news"u8);
        // Slow joiner: publish until the subscription has reached the publisher.
        var got = await PublishUntilReceived(pub, sub, T.Msg("news.1", "body"));
        Assert.Equal("news.1", T.S(got[0]));
        await T.Send(pub, T.Msg("sports", "x"));
        await T.Send(pub, T.Msg("news.2", "y"));
        Assert.Equal("news.2", T.S((await T.Recv(sub))[0]));
    }

    [Fact]
    public async Task Xpub_delivers_subscription_events_to_receive()
    {
        var (xpub, sub) = await Pair(TestSocketType.XPub, TestSocketType.Sub);
        await using var _p = xpub;
        await using var _s = sub;
        sub.Subscribe(ReadOnlySpan<byte>.Empty);
        var ev = await T.Recv(xpub);
        Assert.Equal(new byte[] { 1 }, ev[0]);
        await T.Send(xpub, T.Msg("iopub_welcome"));
        Assert.Equal("iopub_welcome", T.S((await T.Recv(sub))[0]));

        sub.Subscribe("A"u8);
        Assert.Equal(new byte[] { 1, 0x41 }, (await T.Recv(xpub))[0]);
        sub.Unsubscribe("A"u8);
        Assert.Equal(new byte[] { 0, 0x41 }, (await T.Recv(xpub))[0]);
    }

    [Fact]
    public async Task Sub_resubscribes_after_publisher_restart()
    {
        int port = T.FreePort();
        await using var sub = ZmqSocket.Create(ZmqSocketType.Sub, T.Fast);
        sub.Subscribe("t"u8);
        await sub.ConnectAsync($"tcp://127.0.0.1:{port}");

        var pub1 = TestSockets.Create(TestSocketType.XPub, T.Fast with { Linger = TimeSpan.Zero });
        await pub1.BindAsync($"tcp://127.0.0.1:{port}");
        Assert.Equal(new byte[] { 1, (byte)'t' }, (await T.Recv(pub1))[0]);
        await pub1.DisposeAsync();

        await using var pub2 = TestSockets.Create(TestSocketType.XPub, T.Fast);
        await pub2.BindAsync($"tcp://127.0.0.1:{port}");
        Assert.Equal(new byte[] { 1, (byte)'t' }, (await T.Recv(pub2))[0]);
        await T.Send(pub2, T.Msg("t1"));
        Assert.Equal("t1", T.S((await T.Recv(sub))[0]));
    }

    [Fact]
    public async Task Dealer_reconnects_after_router_restart_and_delivers_queued()
    {
        int port = T.FreePort();
        await using var dealer = ZmqSocket.Create(ZmqSocketType.Dealer, T.Fast with { RoutingId = "d"u8.ToArray() });
        var connected = 0;
        dealer.ConnectionEvent += (_, e) => { if (e.Kind == ZmqConnectionEventKind.Connected) Interlocked.Increment(ref connected); };
        await dealer.ConnectAsync($"tcp://127.0.0.1:{port}");

        var r1 = TestSockets.Create(TestSocketType.Router, T.Fast);
        await r1.BindAsync($"tcp://127.0.0.1:{port}");
        await T.Send(dealer, T.Msg("a"));
        Assert.Equal("a", T.S((await T.Recv(r1))[1]));
        var down = T.WaitEvent(dealer, ZmqConnectionEventKind.Disconnected);
        await r1.DisposeAsync();
        await down;

        await T.Send(dealer, T.Msg("queued-while-down"));
        await using var r2 = TestSockets.Create(TestSocketType.Router, T.Fast);
        await r2.BindAsync($"tcp://127.0.0.1:{port}");
        var m = await T.Recv(r2);
        Assert.Equal("queued-while-down", T.S(m[1]));
        Assert.True(connected >= 2);
    }

    [Fact]
    public async Task Incompatible_socket_types_are_dropped()
    {
        await using var pub = TestSockets.Create(TestSocketType.Pub, T.Fast);
        int port = await pub.BindAsync("tcp://127.0.0.1:0");
        await using var dealer = ZmqSocket.Create(ZmqSocketType.Dealer, T.Fast);
        var failed = T.WaitEvent(dealer, ZmqConnectionEventKind.HandshakeFailed);
        await dealer.ConnectAsync($"tcp://127.0.0.1:{port}");
        var e = await failed;
        Assert.Contains("PUB", e.Detail);
    }

    [Fact]
    public async Task Bind_localhost_and_star()
    {
        await using var router = TestSockets.Create(TestSocketType.Router, T.Fast);
        int port = await router.BindAsync("tcp://*:0");
        await using var dealer = ZmqSocket.Create(ZmqSocketType.Dealer, T.Fast);
        await dealer.ConnectAsync($"tcp://localhost:{port}");
        await T.Send(dealer, T.Msg("hi"));
        Assert.Equal("hi", T.S((await T.Recv(router))[1]));
        await Assert.ThrowsAsync<ZmqException>(async () => await dealer.ConnectAsync("ipc:///tmp/x"));
    }

    internal static async Task<ZmqMessage> PublishUntilReceived(IZmqSocket pub, IZmqSocket sub, ReadOnlyMemory<byte>[] msg)
    {
        using var cts = new CancellationTokenSource(T.Timeout);
        while (true)
        {
            await pub.SendAsync(msg, cts.Token);
            using var once = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
            once.CancelAfter(50);
            try { return await sub.ReceiveAsync(once.Token); }
            catch (OperationCanceledException) when (!cts.IsCancellationRequested) { }
        }
    }
}
