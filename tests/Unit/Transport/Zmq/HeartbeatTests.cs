using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using JupyterKernels.Transport.Zmq;

namespace JupyterKernels.Tests.Zmtp;

/// <summary>
/// ZMTP 3.1 heartbeats against libzmq 4.3 (Debian pyzmq) and raw peers: our PINGs are answered and keep an idle
/// connection up; a frozen peer (SIGSTOP) is reported within the timeout and the endpoint recovers after SIGCONT
/// without a storm of connection attempts; a 3.0 peer gets no PING. (libzmq pinging us: InteropTests' heartbeat
/// scenarios.) Serial: the timings must not compete with the CPU-heavy tests of this assembly.
/// </summary>
[Collection("ZmtpSerial")]
[Trait("Category", "Integration")]
public class HeartbeatTests
{
    private static ZmqSocketOptions Beating(int intervalMs, int timeoutMs) => T.Fast with
    {
        HeartbeatInterval = TimeSpan.FromMilliseconds(intervalMs),
        HeartbeatTimeout = TimeSpan.FromMilliseconds(timeoutMs),
    };

    private sealed class EventLog
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        public readonly ConcurrentQueue<(long Ms, ZmqConnectionEvent Event)> Events = new();
        public EventLog(IZmqSocket socket) => socket.ConnectionEvent += (_, e) => Events.Enqueue((_clock.ElapsedMilliseconds, e));
        public int Count(ZmqConnectionEventKind kind) => Events.Count(e => e.Event.Kind == kind);
        public override string ToString() => string.Join("; ", Events.Select(e => $"{e.Ms}ms {e.Event.Kind} {e.Event.Detail}"));

        public async Task<long> WaitFor(ZmqConnectionEventKind kind, int after, double seconds)
        {
            var sw = Stopwatch.StartNew();
            while (sw.Elapsed < TimeSpan.FromSeconds(seconds))
            {
                if (Count(kind) > after) return sw.ElapsedMilliseconds;
                await Task.Delay(20);
            }
            throw new TimeoutException($"no {kind} within {seconds} s: {this}");
        }
    }

    [Fact]
    public async Task Our_pings_are_answered_by_libzmq_and_keep_an_idle_connection_up()
    {
        await using var py = PyPeer.Start("router-echo", "tcp://127.0.0.1:0");
        int port = await py.ReadyAsync();
        await using var dealer = ZmqSocket.Create(ZmqSocketType.Dealer, Beating(100, 400));
        var log = new EventLog(dealer);
        await dealer.ConnectAsync($"tcp://127.0.0.1:{port}");
        await T.Send(dealer, T.Msg("before"));
        Assert.Equal("before", T.S((await T.Recv(dealer))[0]));
        // Idle for five timeouts: only PONGs to our PINGs arrive, and they must keep the connection up.
        await Task.Delay(2000);
        await T.Send(dealer, T.Msg("after"));
        Assert.Equal("after", T.S((await T.Recv(dealer))[0]));
        Assert.True(log.Count(ZmqConnectionEventKind.HeartbeatTimeout) == 0 && log.Count(ZmqConnectionEventKind.Disconnected) == 0,
            $"{log} | python: {py.Stderr}");
        Assert.Equal(1, log.Count(ZmqConnectionEventKind.Connected));
    }

    [Fact]
    public async Task A_frozen_libzmq_peer_is_reported_within_the_timeout_and_recovers_after_SIGCONT_without_a_storm()
    {
        await using var py = PyPeer.Start("router-echo", "tcp://127.0.0.1:0");
        int port = await py.ReadyAsync();
        const int TimeoutMs = 600;
        await using var dealer = ZmqSocket.Create(ZmqSocketType.Dealer, Beating(200, TimeoutMs) with { HandshakeTimeout = TimeSpan.FromSeconds(2) });
        var log = new EventLog(dealer);
        await dealer.ConnectAsync($"tcp://127.0.0.1:{port}");
        await T.Send(dealer, T.Msg("before"));
        Assert.Equal("before", T.S((await T.Recv(dealer))[0]));

        py.Signal("STOP");
        try
        {
            long reportedAfter = await log.WaitFor(ZmqConnectionEventKind.HeartbeatTimeout, 0, 10);
            // Timeout after the last byte, plus timer latency (generous: the machine is shared).
            Assert.True(reportedAfter < TimeoutMs + 2000, $"reported after {reportedAfter} ms: {log}");
            // Frozen for 5 s: connects still succeed into the peer's listen backlog, but no handshake completes;
            // each attempt waits out the handshake timeout (2 s), so a few attempts at most, never one per 20 ms.
            await Task.Delay(5000);
            int failedHandshakes = log.Count(ZmqConnectionEventKind.HandshakeFailed);
            Assert.True(failedHandshakes <= 4, $"{failedHandshakes} handshake attempts in 5 s: {log}");
            Assert.Equal(1, log.Count(ZmqConnectionEventKind.Connected));
        }
        finally
        {
            py.Signal("CONT");
        }
        await log.WaitFor(ZmqConnectionEventKind.Connected, 1, 10);
        await T.Send(dealer, T.Msg("after"));
        Assert.Equal("after", T.S((await T.Recv(dealer))[0]));
        Assert.Equal(1, log.Count(ZmqConnectionEventKind.HeartbeatTimeout));
    }

    [Fact]
    public async Task A_zmtp_30_peer_gets_no_ping_and_is_not_timed_out()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        await using var dealer = ZmqSocket.Create(ZmqSocketType.Dealer, Beating(100, 300));
        var log = new EventLog(dealer);
        await dealer.ConnectAsync($"tcp://127.0.0.1:{port}");
        using var peer = await listener.AcceptTcpClientAsync().WaitAsync(T.Timeout);
        listener.Stop();
        var stream = peer.GetStream();
        await stream.WriteAsync(Greeting.Build(0).Concat(ZmtpCommands.BuildReady("ROUTER", default, false)).ToArray());
        await log.WaitFor(ZmqConnectionEventKind.Connected, 0, 10);

        // Everything we send in 1.5 s of silence (ten intervals): greeting, READY, and nothing else.
        var received = new List<byte>();
        var buffer = new byte[4096];
        using (var quiet = new CancellationTokenSource(1500))
        {
            try
            {
                while (true)
                {
                    int n = await stream.ReadAsync(buffer, quiet.Token);
                    Assert.True(n > 0, $"we closed a silent 3.0 peer: {log}");
                    received.AddRange(buffer.AsSpan(0, n).ToArray());
                }
            }
            catch (OperationCanceledException) { }
        }
        Assert.DoesNotContain("PING", System.Text.Encoding.ASCII.GetString(received.ToArray()));
        Assert.Equal(0, log.Count(ZmqConnectionEventKind.HeartbeatTimeout));
        // Still connected: a message goes through.
        await T.Send(dealer, T.Msg("still here"));
        var sw = Stopwatch.StartNew();
        var text = "";
        while (!text.Contains("still here") && sw.Elapsed < T.Timeout)
        {
            int n = await stream.ReadAsync(buffer).AsTask().WaitAsync(T.Timeout);
            Assert.True(n > 0);
            text += System.Text.Encoding.ASCII.GetString(buffer, 0, n);
        }
        Assert.Contains("still here", text);
    }

    [Fact]
    public async Task A_31_peer_that_never_answers_pings_is_closed_and_reported()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        await using var dealer = ZmqSocket.Create(ZmqSocketType.Dealer, Beating(100, 400) with { ReconnectInterval = TimeSpan.FromSeconds(5), ReconnectIntervalMax = TimeSpan.FromSeconds(5) });
        var log = new EventLog(dealer);
        await dealer.ConnectAsync($"tcp://127.0.0.1:{port}");
        using var peer = await listener.AcceptTcpClientAsync().WaitAsync(T.Timeout);
        var stream = peer.GetStream();
        await stream.WriteAsync(Greeting.Build(1).Concat(ZmtpCommands.BuildReady("ROUTER", default, false)).ToArray());
        await log.WaitFor(ZmqConnectionEventKind.Connected, 0, 10);
        long after = await log.WaitFor(ZmqConnectionEventKind.HeartbeatTimeout, 0, 10);
        Assert.True(after < 400 + 2000, $"reported after {after} ms: {log}");
        // The PINGs it ignored were on the wire: 04 len 04 'PING' ttl(2) context.
        var buffer = new byte[4096];
        var all = new List<byte>();
        int n;
        while ((n = await stream.ReadAsync(buffer).AsTask().WaitAsync(T.Timeout)) > 0) all.AddRange(buffer.AsSpan(0, n).ToArray());
        Assert.Contains("PING", System.Text.Encoding.ASCII.GetString(all.ToArray()));
        listener.Stop();
    }
}
