using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using JupyterKernels.Connections;
using JupyterKernels.Messaging;
using JupyterKernels.Providers;
using JupyterKernels.Providers.Gateway;
using JupyterKernels.Service;
using static JupyterKernels.Tests.Gateway.GatewayTestUtil;

namespace JupyterKernels.Tests.Gateway;

/// <summary>Bad servers: a tiny local HTTP/WebSocket fixture, a listener that never answers, a closed port.</summary>
[Trait("Category", "Integration")] // starts processes or servers
public sealed class GatewayFailureTests
{
    private const string Token = "tok-SECRET-7f3a9c";

    private static GatewayClient Client(string url, Func<GatewayOptions, GatewayOptions>? tweak = null)
        => new("fake", Options(url, Token, o => (tweak ?? (x => x))(o with { RequestTimeout = TimeSpan.FromSeconds(5) })));

    private static void AssertNoToken(Exception e)
    {
        Assert.DoesNotContain(Token, e.ToString());
        Assert.DoesNotContain(Token, e.Message);
    }

    [Fact(Timeout = 15_000)]
    public async Task HtmlLoginPage_IsResponseInvalid_WithStatusAndContentType()
    {
        await using var server = new FakeHttpServer(_ => FakeResponse.Text(200, "text/html", "<!DOCTYPE html><html><body>Login</body></html>"));
        using var client = Client(server.Url);
        var e = await Assert.ThrowsAsync<KernelException>(() => client.GetKernelSpecsAsync(Timeout(10)));
        Assert.Equal(ErrorIds.ProviderResponseInvalid, e.ErrorId);
        Assert.Contains("HTTP 200", e.Message);
        Assert.Contains("text/html", e.Message);
        AssertNoToken(e);
    }

    [Fact(Timeout = 15_000)]
    public async Task TruncatedJson_IsResponseInvalid()
    {
        await using var server = new FakeHttpServer(_ => FakeResponse.Json(200, "{\"default\": \"python3\", \"kernelspecs\": {\"python3\": {\"name\": \"py"));
        using var client = Client(server.Url);
        var e = await Assert.ThrowsAsync<KernelException>(() => client.GetKernelSpecsAsync(Timeout(10)));
        Assert.Equal(ErrorIds.ProviderResponseInvalid, e.ErrorId);
        Assert.Contains("truncated", e.Message);
    }

    [Fact(Timeout = 15_000)]
    public async Task ServerError_WithTraceback_GivesStatusAndMessage_NotTheDump()
    {
        await using var server = new FakeHttpServer(_ => FakeResponse.Json(500,
            "{\"message\": \"Kernel launch exploded\", \"reason\": \"Internal Server Error\", \"traceback\": \"Traceback (most recent call last):\\n  File FRAME_MARKER\"}"));
        using var client = Client(server.Url);
        var e = await Assert.ThrowsAsync<KernelException>(() => client.StartKernelAsync("python3", null, null, null, null, Timeout(10)));
        Assert.Equal(ErrorIds.ProviderRequestFailed, e.ErrorId);
        Assert.Contains("HTTP 500", e.Message);
        Assert.Contains("Kernel launch exploded", e.Message);
        Assert.DoesNotContain("FRAME_MARKER", e.Message);
        Assert.DoesNotContain("Traceback", e.Message);
    }

    [Fact(Timeout = 15_000)]
    public async Task Unauthorized_EchoingTheToken_IsScrubbed()
    {
        await using var server = new FakeHttpServer(r => FakeResponse.Json(401,
            $"{{\"message\": \"bad credentials: {r.Headers.GetValueOrDefault("Authorization")}\", \"reason\": \"Unauthorized\"}}"));
        using var client = Client(server.Url);
        var e = await Assert.ThrowsAsync<KernelException>(() => client.GetStatusAsync(Timeout(10)));
        Assert.Equal(ErrorIds.ProviderAuthenticationFailed, e.ErrorId);
        Assert.Contains("HTTP 401", e.Message);
        Assert.Contains("bad credentials", e.Message);
        AssertNoToken(e);
        Assert.Equal("token " + Token, server.Requests[0].Headers["Authorization"]);
    }

    [Fact(Timeout = 15_000)]
    public async Task Kernel404_IsKernelNotFound_AndProbeGone()
    {
        await using var server = new FakeHttpServer(r => FakeResponse.Json(404, "{\"message\": \"Kernel does not exist: x\", \"reason\": null}"));
        using var client = Client(server.Url);
        var id = Guid.NewGuid().ToString();
        Assert.Null(await client.TryGetKernelAsync(id, Timeout(10)));
        var e = await Assert.ThrowsAsync<KernelException>(() => client.InterruptKernelAsync(id, Timeout(10)));
        Assert.Equal(ErrorIds.KernelNotFound, e.ErrorId);
        await using var provider = new GatewayKernelProvider("fake", client.Options);
        var probe = await provider.ProbeAsync(new KernelRecord { Id = id, Provider = "fake", SpecName = "fake/python3" }, Timeout(10));
        Assert.Equal(KernelLiveness.Gone, probe.Liveness);
    }

    [Fact(Timeout = 15_000)]
    public async Task SlowServer_IsProviderTimeout()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start(); // accepts (kernel backlog) but never answers
        using var client = Client($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/", o => o with { RequestTimeout = TimeSpan.FromSeconds(1) });
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<KernelException>(() => client.GetKernelSpecsAsync(Timeout(10)));
        Assert.Equal(ErrorIds.ProviderTimeout, e.ErrorId);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5));
        await using var provider = new GatewayKernelProvider("slow", client.Options);
        var probe = await provider.ProbeAsync(new KernelRecord { Id = Guid.NewGuid().ToString(), Provider = "slow", SpecName = "slow/x" }, Timeout(10));
        Assert.Equal(KernelLiveness.Unknown, probe.Liveness);
    }

    [Fact(Timeout = 15_000)]
    public async Task ConnectionRefused_IsProviderUnreachable()
    {
        using var client = Client($"http://127.0.0.1:{JupyterServer.FreePort()}/");
        var e = await Assert.ThrowsAsync<KernelException>(() => client.GetVersionAsync(Timeout(10)));
        Assert.Equal(ErrorIds.ProviderUnreachable, e.ErrorId);
        Assert.Contains("refused", e.Message);
        AssertNoToken(e);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a url")]
    [InlineData("ftp://host/")]
    [InlineData("127.0.0.1:8888")]
    [InlineData("http://host:8888/?token=abc")]
    [InlineData("http://user:pw@host/")]
    public void MalformedUrl_IsProviderInvalid(string url)
    {
        var e = Assert.Throws<KernelException>(() => GatewayOptions.ParseBaseUrl(url, "x"));
        Assert.Equal(ErrorIds.ProviderInvalid, e.ErrorId);
        Assert.DoesNotContain("abc", e.Message);
        Assert.DoesNotContain(":pw", e.Message);
    }

    [Fact(Timeout = 15_000)]
    public async Task ListingForbidden_FallsBackToKnownKernels()
    {
        var known = Guid.NewGuid().ToString();
        await using var server = new FakeHttpServer(r => r.Path switch
        {
            "/api/kernels" => FakeResponse.Json(403, "{\"reason\": \"Forbidden\", \"message\": \"Forbidden\"}"),
            "/api/kernelspecs" => FakeResponse.Json(200, "{\"default\": \"python3\", \"kernelspecs\": {}}"),
            var p when p == "/api/kernels/" + known => FakeResponse.Json(200, $"{{\"id\": \"{known}\", \"name\": \"python3\", \"execution_state\": \"idle\", \"connections\": 2, \"last_activity\": \"2026-01-02T03:04:05.123456Z\"}}"),
            _ => FakeResponse.Json(404, "{\"message\": \"nope\"}"),
        });
        await using var provider = new GatewayKernelProvider("kg", Options(server.Url, Token));
        provider.TrackKernel(known);
        provider.TrackKernel(Guid.NewGuid().ToString()); // gone: dropped
        var listing = await provider.ListKernelsAsync(Timeout(10));
        Assert.False(listing.Complete);
        var k = Assert.Single(listing.Kernels);
        Assert.Equal(known, k.RemoteId);
        Assert.Equal(KernelState.Idle, k.State);
        Assert.Equal(2, k.Connections);
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 3, 4, 5, 123, TimeSpan.Zero).AddTicks(4560), k.LastActivity);
    }

    [Fact(Timeout = 15_000)]
    public async Task StartSendsGatewayClientEnvironment_AndXsrfPairWithoutToken()
    {
        var id = Guid.NewGuid().ToString();
        await using var server = new FakeHttpServer(r => FakeResponse.Json(201, $"{{\"id\": \"{id}\", \"name\": \"python3\", \"execution_state\": \"starting\"}}"));
        var options = Options(server.Url, null, o => o with { HttpUser = "alice", HttpPassword = "pw", AllowedEnvs = ["MY_ALLOWED"] });
        var processEnv = new Dictionary<string, string> { ["KERNEL_FOO"] = "1", ["OTHER"] = "x", ["MY_ALLOWED"] = "y" };
        await using var provider = new GatewayKernelProvider("eg", options, null, n => processEnv.GetValueOrDefault(n), () => processEnv);
        var record = await provider.StartKernelAsync(new KernelStartRequest { KernelId = id, SpecName = "eg/python3", StartTimeout = TimeSpan.FromSeconds(25), WorkingDirectory = "/work" }, Timeout(10));
        Assert.Equal(id, record.RemoteId);
        var req = Assert.Single(server.Requests);
        Assert.Equal("POST", req.Method);
        using var body = System.Text.Json.JsonDocument.Parse(req.Body);
        var root = body.RootElement;
        Assert.Equal("python3", root.GetProperty("name").GetString());
        Assert.Equal(id, root.GetProperty("kernel_id").GetString());
        var env = root.GetProperty("env");
        Assert.Equal("1", env.GetProperty("KERNEL_FOO").GetString());
        Assert.Equal("y", env.GetProperty("MY_ALLOWED").GetString());
        Assert.False(env.TryGetProperty("OTHER", out _));
        Assert.Equal("alice", env.GetProperty("KERNEL_USERNAME").GetString());
        Assert.Equal("25", env.GetProperty("KERNEL_LAUNCH_TIMEOUT").GetString());
        Assert.Equal("/work", env.GetProperty("KERNEL_WORKING_DIR").GetString());
        Assert.Equal(id, env.GetProperty("KERNEL_ID").GetString());
        Assert.StartsWith("Basic ", req.Headers["Authorization"]);
        var xsrf = req.Headers["X-XSRFToken"];
        Assert.Equal("_xsrf=" + xsrf, req.Headers["Cookie"]);
    }

    [Fact(Timeout = 20_000)]
    public async Task BadWebSocketFrames_AreDropped_WithEvents_AndGoodOnesDelivered()
    {
        var good = new MessageFactory().Create("status", RequestContent.Build(w => w.WriteString("execution_state", "idle")));
        var goodFrame = WebSocketV1Framing.Serialize(KernelChannel.IOPub, good);
        var badOffsets = (byte[])goodFrame.Clone();
        BitConverter.TryWriteBytes(badOffsets.AsSpan(16), (ulong)99999); // offset past the end
        var outOfOrder = (byte[])goodFrame.Clone();
        BitConverter.TryWriteBytes(outOfOrder.AsSpan(24), (ulong)10);
        var release = new TaskCompletionSource();
        await using var server = new FakeHttpServer(r => new FakeResponse(101, null, Array.Empty<byte>())
        {
            SubProtocol = WebSocketV1Framing.SubProtocol,
            WebSocket = async ws =>
            {
                await ws.ReceiveAsync(new byte[65536], default); // wait until the client listens
                foreach (var f in new[] { badOffsets, new byte[] { 1, 2, 3 }, outOfOrder, goodFrame })
                    await ws.SendAsync(f, WebSocketMessageType.Binary, true, default);
                await ws.SendAsync(Encoding.UTF8.GetBytes("{\"not\": \"v1\"}"), WebSocketMessageType.Text, true, default);
                await release.Task.WaitAsync(TimeSpan.FromSeconds(15));
            },
        });
        using var client = Client(server.Url, o => o with { KernelPollInterval = TimeSpan.Zero });
        var events = new List<ChannelEvent>();
        await using var channels = await WebSocketKernelChannels.ConnectAsync(client, Guid.NewGuid().ToString(), null, null, Timeout(10));
        channels.Event += (_, e) => { lock (events) events.Add(e); };
        Assert.True(channels.UsesV1Protocol);
        await channels.SendAsync(KernelChannel.Shell, new MessageFactory().Create("kernel_info_request", RequestContent.Empty), Timeout(5));
        var msg = await channels.Incoming.ReadAsync(Timeout(10));
        Assert.Equal(KernelChannel.IOPub, msg.Channel);
        Assert.Equal(good.MsgId, msg.Message.MsgId);
        Assert.True(channels.IOPubReady);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (DateTime.UtcNow < deadline) { lock (events) if (events.Count(e => e.Kind == ChannelEventKind.MalformedMessage) >= 4) break; await Task.Delay(20); }
        release.TrySetResult();
        lock (events) Assert.Equal(4, events.Count(e => e.Kind == ChannelEventKind.MalformedMessage));
        Assert.False(channels.Incoming.TryRead(out _));
        var upgrade = Assert.Single(server.Requests);
        Assert.Contains("session_id=", upgrade.Path);
        Assert.DoesNotContain(Token, upgrade.Path);
        Assert.Equal("token " + Token, upgrade.Headers["Authorization"]);
    }

    [Fact(Timeout = 15_000)]
    public async Task WebSocket404_IsKernelNotFound()
    {
        await using var server = new FakeHttpServer(_ => FakeResponse.Json(404, "{\"message\": \"Kernel does not exist\"}"));
        using var client = Client(server.Url);
        var e = await Assert.ThrowsAsync<KernelException>(() => WebSocketKernelChannels.ConnectAsync(client, Guid.NewGuid().ToString(), null, null, Timeout(10)));
        Assert.Equal(ErrorIds.KernelNotFound, e.ErrorId);
        AssertNoToken(e);
    }

    [Fact(Timeout = 20_000)]
    public async Task ProviderDown_LocalStillLists_WithOneWarning()
    {
        await using var registry = new KernelProviders(new FakeLocalProvider(), GatewayProviderFactory.Instance);
        await registry.RegisterAsync(new ProviderRegistration { Name = "down", Url = $"http://127.0.0.1:{JupyterServer.FreePort()}/", Token = Token }, Timeout(5));
        var listing = await registry.ListKernelSpecsAsync(false, Timeout(15));
        var spec = Assert.Single(listing.Specs);
        Assert.Equal("python3", spec.Name);
        var warning = Assert.Single(listing.Warnings);
        Assert.Equal("down", warning.Provider);
        Assert.Equal(ErrorIds.ProviderUnreachable, warning.ErrorId);
        Assert.DoesNotContain(Token, warning.Message);
    }

    [Fact(Timeout = 30_000)]
    public async Task HangingProvider_LocalSpecsStillListWithinTheBudget_WithProgress_AndOneTimeoutWarning()
    {
        // a server that accepts the connection and never answers.
        await using var server = new FakeHttpServer(_ => FakeResponse.Hang);
        await using var registry = new KernelProviders(new FakeLocalProvider(), GatewayProviderFactory.Instance);
        await registry.RegisterAsync(new ProviderRegistration { Name = "hang", Url = server.Url, Token = Token }, Timeout(5));
        var progress = new List<string>();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var listing = await registry.ListKernelSpecsAsync(false, Timeout(25), budget: TimeSpan.FromSeconds(2.5),
            progress: new SyncProgress(progress.Add));
        sw.Stop();
        Assert.Equal("python3", Assert.Single(listing.Specs).Name);
        var warning = Assert.Single(listing.Warnings);
        Assert.Equal(("hang", ErrorIds.ProviderTimeout), (warning.Provider, warning.ErrorId));
        Assert.Contains("2.5 s", warning.Message);
        Assert.Contains(progress, p => p.Contains("'hang'"));
        // Bounded by the budget, not by the provider's 42 s request timeout (generous margin for a loaded machine).
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(15), $"took {sw.Elapsed}");
    }

    private sealed class SyncProgress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) { lock (this) report(value); }
    }

    [Fact(Timeout = 20_000)]
    public async Task DroppedWebSocket_Reconnects_WithSameSession_AndDelivers()
    {
        int connections = 0;
        await using var server = new FakeHttpServer(r =>
        {
            if (r.Path.StartsWith("/api/kernels/") && !r.Path.Contains("/channels")) return FakeResponse.Json(200, "{\"id\": \"k\", \"name\": \"python3\"}");
            var n = Interlocked.Increment(ref connections);
            return new FakeResponse(101, null, Array.Empty<byte>())
            {
                SubProtocol = WebSocketV1Framing.SubProtocol,
                WebSocket = async ws =>
                {
                    if (n == 1) return; // drop the first connection at once
                    var buffer = new byte[65536];
                    var got = await ws.ReceiveAsync(buffer, default);
                    var request = WebSocketV1Framing.Deserialize(buffer.AsMemory(0, got.Count)).Message!;
                    var reply = new MessageFactory().Create("kernel_info_reply", RequestContent.Empty, request.Header);
                    await ws.SendAsync(WebSocketV1Framing.Serialize(KernelChannel.Shell, reply), WebSocketMessageType.Binary, true, default);
                    await Task.Delay(2000);
                },
            };
        });
        using var client = Client(server.Url, o => o with { KernelPollInterval = TimeSpan.Zero, RetryInterval = TimeSpan.FromMilliseconds(100) });
        await using var channels = await WebSocketKernelChannels.ConnectAsync(client, Guid.NewGuid().ToString(), "sess-1", null, Timeout(10));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Volatile.Read(ref connections) < 2 && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.True(Volatile.Read(ref connections) >= 2, "no reconnect");
        var info = await ExecuteRoundTrip.KernelInfoAsync(channels, new MessageFactory(), Timeout(10));
        Assert.Equal("kernel_info_reply", info.MsgType);
        var upgrades = server.Requests.Where(r => r.Path.Contains("/channels")).ToArray();
        Assert.True(upgrades.Length >= 2);
        Assert.All(upgrades, u => Assert.Contains("session_id=sess-1", u.Path));
    }
}
