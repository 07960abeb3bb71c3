using System.Text;
using JupyterKernels.Transport.Zmq;

namespace JupyterKernels.Tests.Zmtp;

/// <summary>Managed sockets against real libzmq (Debian python3-zmq) in both directions.</summary>
[Trait("Category", "Integration")] // starts processes or servers
public class InteropTests
{
    private static readonly int[] Sizes = { 0, 1, 255, 256, 65536, 1024 * 1024 };

    // ---- managed connects, libzmq binds ----

    [Fact]
    public async Task Dealer_to_libzmq_router_with_identity_and_all_sizes()
    {
        await using var py = PyPeer.Start("router-echo-id", "tcp://127.0.0.1:0");
        int port = await py.ReadyAsync();
        await using var dealer = ZmqSocket.Create(ZmqSocketType.Dealer, T.Fast with { RoutingId = "client-1"u8.ToArray() });
        await dealer.ConnectAsync($"tcp://127.0.0.1:{port}");
        for (int i = 0; i < Sizes.Length; i++)
        {
            var body = T.Payload(Sizes[i], i);
            await T.Send(dealer, T.Msg("<IDS|MSG>"u8.ToArray(), body, Array.Empty<byte>(), "tail"u8.ToArray()));
            var m = await T.Recv(dealer);
            Assert.Equal(5, m.Count);
            Assert.Equal("client-1", T.S(m[0]));
            Assert.Equal(body, m[2]);
            Assert.Empty(m[3]);
        }
    }

    [Fact]
    public async Task Anonymous_dealer_gets_libzmq_generated_id()
    {
        await using var py = PyPeer.Start("router-echo-id", "tcp://127.0.0.1:0");
        int port = await py.ReadyAsync();
        await using var dealer = ZmqSocket.Create(ZmqSocketType.Dealer, T.Fast);
        await dealer.ConnectAsync($"tcp://127.0.0.1:{port}");
        await T.Send(dealer, T.Msg("x"));
        var m = await T.Recv(dealer);
        Assert.Equal(5, m[0].Length);
        Assert.Equal(0, m[0][0]);
    }

    [Fact]
    public async Task Req_to_libzmq_rep()
    {
        await using var py = PyPeer.Start("rep-echo", "tcp://127.0.0.1:0");
        int port = await py.ReadyAsync();
        await using var req = ZmqSocket.Create(ZmqSocketType.Req, T.Fast);
        await req.ConnectAsync($"tcp://127.0.0.1:{port}");
        for (int i = 0; i < Sizes.Length; i++)
        {
            var body = T.Payload(Sizes[i], i);
            await T.Send(req, T.Msg("ping"u8.ToArray(), body));
            var m = await T.Recv(req);
            Assert.Equal(2, m.Count);
            Assert.Equal(body, m[1]);
        }
    }

    [Fact]
    public async Task Req_to_libzmq_router_echo_like_ipykernel_heartbeat()
    {
        await using var py = PyPeer.Start("router-echo", "tcp://127.0.0.1:0");
        int port = await py.ReadyAsync();
        await using var req = ZmqSocket.Create(ZmqSocketType.Req, T.Fast);
        await req.ConnectAsync($"tcp://127.0.0.1:{port}");
        for (int i = 0; i < 5; i++)
        {
            await T.Send(req, T.Msg("ping"));
            Assert.Equal("ping", T.S((await T.Recv(req))[0]));
        }
    }

    [Theory]
    [InlineData("pub")]
    [InlineData("xpub")]
    public async Task Sub_to_libzmq_publisher(string mode)
    {
        await using var py = PyPeer.Start(mode, "tcp://127.0.0.1:0");
        int port = await py.ReadyAsync();
        await using var sub = ZmqSocket.Create(ZmqSocketType.Sub, T.Fast);
        sub.Subscribe("topic"u8);
        await sub.ConnectAsync($"tcp://127.0.0.1:{port}");
        if (mode == "xpub")
            Assert.Equal("SUB 01" + Convert.ToHexString("topic"u8).ToLowerInvariant(), await py.ReadLineAsync());
        for (int i = 0; i < 5; i++)
        {
            var m = await T.Recv(sub);
            Assert.Equal("topic", T.S(m[0]));
            Assert.StartsWith("payload-", T.S(m[1]));
        }
    }

    // ---- libzmq connects, managed binds ----

    [Theory]
    [InlineData("client-7")]
    [InlineData("")]
    public async Task Libzmq_dealer_to_managed_router(string identity)
    {
        await using var router = TestSockets.Create(TestSocketType.Router, T.Fast);
        int port = await router.BindAsync("tcp://127.0.0.1:0");
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var seenIds = new List<byte[]>();
        var echo = Echo(router, stop.Token, m => seenIds.Add(m[0]));
        await using var py = PyPeer.Start("dealer-client", $"tcp://127.0.0.1:{port}", identity);
        Assert.Equal("OK", await py.ReadLineAsync(30));
        Assert.Equal(0, await py.WaitExitAsync());
        stop.Cancel();
        await echo;
        if (identity.Length > 0) Assert.All(seenIds, id => Assert.Equal(identity, T.S(id)));
        else Assert.All(seenIds, id => Assert.Equal(5, id.Length));
    }

    [Fact]
    public async Task Libzmq_req_to_managed_rep()
    {
        await using var rep = TestSockets.Create(TestSocketType.Rep, T.Fast);
        int port = await rep.BindAsync("tcp://127.0.0.1:0");
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var echo = Echo(rep, stop.Token, null);
        await using var py = PyPeer.Start("req-client", $"tcp://127.0.0.1:{port}");
        Assert.Equal("OK", await py.ReadLineAsync(30));
        stop.Cancel();
        await echo;
    }

    [Fact]
    public async Task Libzmq_req_to_managed_router()
    {
        await using var router = TestSockets.Create(TestSocketType.Router, T.Fast);
        int port = await router.BindAsync("tcp://127.0.0.1:0");
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var envelopes = new List<int>();
        var echo = Echo(router, stop.Token, m => envelopes.Add(m[1].Length)); // [id, "", body...]
        await using var py = PyPeer.Start("req-client", $"tcp://127.0.0.1:{port}");
        Assert.Equal("OK", await py.ReadLineAsync(30));
        stop.Cancel();
        await echo;
        Assert.All(envelopes, l => Assert.Equal(0, l));
    }

    [Theory]
    [InlineData(nameof(TestSocketType.Pub))]
    [InlineData(nameof(TestSocketType.XPub))]
    public async Task Libzmq_sub_to_managed_publisher(string socketType)
    {
        var type = Enum.Parse<TestSocketType>(socketType); // a theory's arguments are public types; the socket types are internal
        await using var pub = TestSockets.Create(type, T.Fast);
        int port = await pub.BindAsync("tcp://127.0.0.1:0");
        await using var py = PyPeer.Start("sub-client", $"tcp://127.0.0.1:{port}", "topic");
        if (type == TestSocketType.XPub)
        {
            // libzmq 4.3.3+ speaks 3.1 and sends a SUBSCRIBE command; XPUB hands it up as 0x01+topic.
            var ev = await T.Recv(pub);
            Assert.Equal("\u0001topic", Encoding.ASCII.GetString(ev[0]));
        }
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var publisher = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await pub.SendAsync(T.Msg("other", "x"), stop.Token);
                await pub.SendAsync(T.Msg("topic", "y"), stop.Token);
                await Task.Delay(10, stop.Token);
            }
        });
        Assert.Equal("OK", await py.ReadLineAsync(20));
        stop.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => publisher);
    }

    // ---- restarts ----

    [Fact]
    public async Task Dealer_reconnects_to_restarted_libzmq_router()
    {
        int port = T.FreePort();
        var ep = $"tcp://127.0.0.1:{port}";
        await using var dealer = ZmqSocket.Create(ZmqSocketType.Dealer, T.Fast with { RoutingId = "me"u8.ToArray() });
        await dealer.ConnectAsync(ep);
        await using (var py1 = PyPeer.Start("router-echo-id", ep))
        {
            await py1.ReadyAsync();
            await T.Send(dealer, T.Msg("one"));
            Assert.Equal("one", T.S((await T.Recv(dealer))[1]));
            var down = T.WaitEvent(dealer, ZmqConnectionEventKind.Disconnected);
            py1.Kill();
            await down;
        }
        await T.Send(dealer, T.Msg("queued"));
        await using var py2 = PyPeer.Start("router-echo-id", ep);
        await py2.ReadyAsync();
        var m = await T.Recv(dealer);
        Assert.Equal(new[] { "me", "queued" }, m.Frames.Select(T.S));
    }

    [Fact]
    public async Task Sub_resubscribes_to_restarted_libzmq_xpub()
    {
        int port = T.FreePort();
        var ep = $"tcp://127.0.0.1:{port}";
        await using var sub = ZmqSocket.Create(ZmqSocketType.Sub, T.Fast);
        sub.Subscribe("topic"u8);
        await sub.ConnectAsync(ep);
        await using (var py1 = PyPeer.Start("xpub", ep))
        {
            await py1.ReadyAsync();
            Assert.StartsWith("SUB 01", await py1.ReadLineAsync());
            Assert.Equal("topic", T.S((await T.Recv(sub))[0]));
            var down = T.WaitEvent(sub, ZmqConnectionEventKind.Disconnected);
            py1.Kill();
            await down;
        }
        // Drain what was queued from the first publisher, then expect fresh messages from the second.
        while (true)
        {
            using var quick = new CancellationTokenSource(100);
            try { await sub.ReceiveAsync(quick.Token); } catch (OperationCanceledException) { break; }
        }
        await using var py2 = PyPeer.Start("xpub", ep);
        await py2.ReadyAsync();
        Assert.StartsWith("SUB 01", await py2.ReadLineAsync());
        var m = await T.Recv(sub);
        Assert.Equal("topic", T.S(m[0]));
    }

    [Fact]
    public async Task Answers_libzmq_zmtp_heartbeats_so_the_connection_stays_up()
        => await HeartbeatScenario(identity: false);

    [Fact]
    public async Task Answers_libzmq_zmtp_heartbeats_with_identity()
        => await HeartbeatScenario(identity: true);

    private static async Task HeartbeatScenario(bool identity)
    {
        await using var py = PyPeer.Start("router-echo-hb", "tcp://127.0.0.1:0");
        int port = await py.ReadyAsync();
        var options = identity ? T.Fast with { RoutingId = "hb"u8.ToArray() } : T.Fast;
        await using var dealer = ZmqSocket.Create(ZmqSocketType.Dealer, options);
        int drops = 0;
        var events = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        dealer.ConnectionEvent += (_, e) =>
        {
            events.Enqueue($"{clock.ElapsedMilliseconds}ms {e.Kind} {e.Detail}");
            if (e.Kind != ZmqConnectionEventKind.Connected) Interlocked.Increment(ref drops);
        };
        await dealer.ConnectAsync($"tcp://127.0.0.1:{port}");
        await T.Send(dealer, T.Msg("before"));
        Assert.Equal("before", T.S((await T.Recv(dealer))[0]));
        await Task.Delay(1500); // 15 PING/PONG rounds; no PONG would mean a drop after 300 ms
        await T.Send(dealer, T.Msg("after"));
        Assert.Equal("after", T.S((await T.Recv(dealer))[0]));
        Assert.True(drops == 0, string.Join("; ", events) + " | python: " + py.Stderr);
    }

    [Fact]
    public async Task Heartbeat_req_recovers_with_reset_after_libzmq_rep_restart()
    {
        int port = T.FreePort();
        var ep = $"tcp://127.0.0.1:{port}";
        await using var req = ZmqSocket.Create(ZmqSocketType.Req, T.Fast);
        await req.ConnectAsync(ep);
        await using (var py1 = PyPeer.Start("rep-echo", ep))
        {
            await py1.ReadyAsync();
            await T.Send(req, T.Msg("ping"));
            Assert.Equal("ping", T.S((await T.Recv(req))[0]));
            var down = T.WaitEvent(req, ZmqConnectionEventKind.Disconnected);
            py1.Kill();
            await down;
        }
        // The kernel is gone: the ping is not answered in time (jupyter_client's time_to_dead).
        await T.Send(req, T.Msg("ping"));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await T.Recv(req, 0.3));
        await Assert.ThrowsAsync<ZmqException>(async () => await req.SendAsync(T.Msg("ping"), T.Token()));
        req.ResetRequestState();

        await using var py2 = PyPeer.Start("rep-echo", ep);
        await py2.ReadyAsync();
        // The queued ping from before the reset reaches the new REP first; its reply is dropped as stale
        // when we send again, or taken as ours. Either way the cycle continues.
        await T.Send(req, T.Msg("ping-2"));
        var reply = T.S((await T.Recv(req))[0]);
        Assert.StartsWith("ping", reply);
        await T.Send(req, T.Msg("ping-3"));
        Assert.StartsWith("ping", T.S((await T.Recv(req))[0]));
    }

    private static Task Echo(IZmqSocket socket, CancellationToken stop, Action<ZmqMessage>? observe)
        => Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var m = await socket.ReceiveAsync(stop);
                    observe?.Invoke(m);
                    await socket.SendAsync(m.Frames.Select(f => (ReadOnlyMemory<byte>)f).ToArray(), stop);
                }
            }
            catch (OperationCanceledException) { }
        });
}
