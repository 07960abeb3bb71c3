using System.Diagnostics;
using JupyterKernels.Messaging;
using JupyterKernels.Providers;
using JupyterKernels.Providers.Gateway;
using JupyterKernels.Service;
using static JupyterKernels.Tests.Gateway.GatewayTestUtil;
using JupyterKernels.Connections;
using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.Gateway;

/// <summary>Against a real jupyter-server (Debian 1.23.3) shared by the collection.</summary>
[Collection("jupyter-server")]
public sealed class GatewayServerTests(JupyterServerFixture fixture)
{
    private JupyterServer Server => fixture.Server;

    [Fact(Timeout = 30_000)]
    public async Task Rest_VersionStatusAndSpecs()
    {
        using var client = new GatewayClient("srv", Options(Server.Url, Server.Token));
        var ct = Timeout(20);
        Assert.StartsWith("1.", await client.GetVersionAsync(ct));
        var status = await client.GetStatusAsync(ct);
        Assert.NotNull(status.Started);
        var specs = await client.GetKernelSpecsAsync(ct);
        Assert.Equal("python3", specs.Default);
        var py = Assert.Single(specs.Specs, s => s.Name == "python3");
        Assert.Equal("python", py.Language);
        Assert.Contains("logo-64x64", py.Resources.Keys);
    }

    [Fact(Timeout = 30_000)]
    public async Task Provider_ListsPrefixedSpecs_WithSuffix_AndCaches()
    {
        await using var provider = new GatewayKernelProvider("srv", Options(Server.Url, Server.Token));
        var ct = Timeout(20);
        var specs = await provider.GetKernelSpecsAsync(false, ct);
        var py = Assert.Single(specs, s => s.ProviderSpecName == "python3");
        Assert.Equal("srv/python3", py.Name);
        Assert.Equal("srv", py.Provider);
        Assert.EndsWith(" (srv)", py.DisplayName);
        Assert.True(py.IsDefault);
        Assert.Same(specs, await provider.GetKernelSpecsAsync(false, ct));
        Assert.NotSame(specs, await provider.GetKernelSpecsAsync(true, ct));
    }

    [Fact(Timeout = 30_000)]
    public async Task Registry_ListsLocalAndRemote_Fast_WhenWarm()
    {
        await using var registry = new KernelProviders(new FakeLocalProvider(), GatewayProviderFactory.Instance);
        var ct = Timeout(20);
        await registry.RegisterAsync(new ProviderRegistration { Name = "srv", Url = Server.Url, Token = Server.Token }, ct);
        await registry.RegisterAsync(new ProviderRegistration { Name = "srv2", Url = Server.Url, Token = Server.Token, DisplayNameSuffix = " [two]" }, ct);
        var listing = await registry.ListKernelSpecsAsync(false, ct);
        Assert.Empty(listing.Warnings);
        Assert.Contains(listing.Specs, s => s.Name == "python3" && s.Provider == "local");
        Assert.Contains(listing.Specs, s => s.Name == "srv/python3");
        Assert.Contains(listing.Specs, s => s.Name == "srv2/python3" && s.DisplayName.EndsWith(" [two]"));
        var (p, bare) = registry.Resolve("srv2/python3");
        Assert.Equal("srv2", p.Name);
        Assert.Equal("python3", bare);

        var best = TimeSpan.MaxValue;
        for (int i = 0; i < 20; i++)
        {
            var sw = Stopwatch.StartNew();
            var warm = await registry.ListKernelSpecsAsync(false, ct);
            sw.Stop();
            Assert.Equal(listing.Specs.Count, warm.Specs.Count); // the server lists whatever kernelspecs its machine has
            if (sw.Elapsed < best) best = sw.Elapsed;
        }
        Assert.True(best < TimeSpan.FromMilliseconds(5), $"warm listing took {best.TotalMilliseconds} ms");
    }

    [Fact(Timeout = 90_000)]
    public async Task Lifecycle_V1_StartExecuteInterruptRestartStop()
    {
        await using var provider = new GatewayKernelProvider("srv", Options(Server.Url, Server.Token));
        var ct = Timeout(80);
        await provider.GetKernelSpecsAsync(false, ct);
        var request = StartRequest("srv/python3");
        var record = await provider.StartKernelAsync(request, ct);
        try
        {
            Assert.Equal(request.KernelId, record.Id);
            Assert.False(string.IsNullOrEmpty(record.RemoteId));
            // jupyter_server 1.23.3 ignores a client-chosen kernel_id: the server picks its own.
            Assert.NotEqual(record.Id, record.RemoteId);
            Assert.Equal("srv/python3", record.SpecName);
            Assert.DoesNotContain(Server.Token, record.RemoteData().Url);
            Assert.Equal($"{Server.Url}api/kernels/{record.RemoteId}", record.RemoteData().Url);

            await using var channels = await provider.ConnectWebSocketAsync(record, null, ct);
            Assert.True(channels.UsesV1Protocol);
            var factory = new MessageFactory();
            var info = await ExecuteRoundTrip.KernelInfoAsync(channels, factory, ct);
            Assert.Equal("python", info.Content.GetProperty("language_info").GetStringOrNull("name"));

            var result = await ExecuteRoundTrip.RunAsync(channels, factory, "print(6*7)", ct);
            Assert.Equal("ok", result.Status);
            Assert.Equal("42\n", result.Stdout);
            Assert.True(channels.IOPubReady);

            // Interrupt a long sleep: KeyboardInterrupt well before 30 s.
            var sw = Stopwatch.StartNew();
            var sleep = factory.Create("execute_request", RequestContent.Execute("import time; time.sleep(30)"));
            await channels.SendAsync(KernelChannel.Shell, sleep, ct);
            await WaitForAsync(channels, sleep.MsgId, "execute_input", ct);
            await Task.Delay(300, ct);
            await provider.InterruptAsync(record, ct);
            var interrupted = await ExecuteRoundTrip.ReadUntilDoneAsync(channels, sleep.MsgId, Stopwatch.GetTimestamp(), ct);
            Assert.Equal("error", interrupted.Status);
            Assert.Equal("KeyboardInterrupt", interrupted.ErrorName);
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(15), $"interrupt took {sw.Elapsed}");

            var restarted = await provider.RestartAsync(record, ct);
            Assert.Equal(record.Id, restarted.Id);
            // After a REST restart on 1.23.3 the old WebSocket did not deliver replies (see report): reconnect.
            await using var fresh = await provider.ConnectWebSocketAsync(record, null, ct);
            await ExecuteRoundTrip.KernelInfoAsync(fresh, factory, ct);
            var after = await ExecuteRoundTrip.RunAsync(fresh, factory, "x = 6*7\nprint(x)", ct);
            Assert.Equal("42\n", after.Stdout);

            var probe = await provider.ProbeAsync(record, ct);
            Assert.Equal(KernelLiveness.Alive, probe.Liveness);
            Assert.NotNull(probe.State);
            Assert.True(probe.Connections >= 1);
            Assert.True(await fresh.CheckHeartbeatAsync(TimeSpan.FromSeconds(5), ct));

            var listing = await provider.ListKernelsAsync(ct);
            Assert.True(listing.Complete);
            Assert.Contains(listing.Kernels, k => k.RemoteId == record.RemoteId && k.SpecName == "srv/python3");
        }
        finally
        {
            await provider.ShutdownAsync(record, false, CancellationToken.None);
        }
        Assert.Equal(KernelLiveness.Gone, (await provider.ProbeAsync(record, ct)).Liveness);
        await provider.ShutdownAsync(record, false, ct); // already gone: no error
    }

    [Fact(Timeout = 60_000)]
    public async Task Legacy_Framing_WhenV1NotOffered()
    {
        await using var provider = new GatewayKernelProvider("srv", Options(Server.Url, Server.Token, o => o with { OfferV1Protocol = false }));
        var ct = Timeout(50);
        var record = await provider.StartKernelAsync(StartRequest(), ct);
        try
        {
            await using var channels = (WebSocketKernelChannels)await provider.ConnectAsync(record, ct);
            Assert.False(channels.UsesV1Protocol);
            var factory = new MessageFactory();
            await ExecuteRoundTrip.KernelInfoAsync(channels, factory, ct);
            var result = await ExecuteRoundTrip.RunAsync(channels, factory, "print(6*7)", ct);
            Assert.Equal("ok", result.Status);
            Assert.Equal("42\n", result.Stdout);
            var error = await ExecuteRoundTrip.RunAsync(channels, factory, "1/0", ct);
            Assert.Equal("ZeroDivisionError", error.ErrorName);
        }
        finally { await provider.ShutdownAsync(record, false, CancellationToken.None); }
    }

    [Fact(Timeout = 30_000)]
    public async Task WrongToken_IsAuthenticationFailed_AndNeverPrinted()
    {
        var wrong = "wrongtoken-" + Guid.NewGuid().ToString("N");
        await using var provider = new GatewayKernelProvider("srv", Options(Server.Url, wrong));
        var ct = Timeout(20);
        var e = await Assert.ThrowsAsync<KernelException>(() => provider.GetKernelSpecsAsync(true, ct));
        Assert.Equal(ErrorIds.ProviderAuthenticationFailed, e.ErrorId);
        Assert.Contains("403", e.Message);
        Assert.DoesNotContain(wrong, e.ToString());
        var ws = await Assert.ThrowsAsync<KernelException>(() => provider.ConnectAsync(new KernelRecord { Id = Guid.NewGuid().ToString(), Provider = "srv", SpecName = "srv/python3" }, ct));
        Assert.Equal(ErrorIds.ProviderAuthenticationFailed, ws.ErrorId);
        Assert.DoesNotContain(wrong, ws.ToString());
        var probe = await provider.ProbeAsync(new KernelRecord { Id = Guid.NewGuid().ToString(), Provider = "srv", SpecName = "srv/python3" }, ct);
        Assert.Equal(KernelLiveness.Unknown, probe.Liveness);
        Assert.DoesNotContain(wrong, probe.Reason);
    }

    [Fact(Timeout = 60_000)]
    public async Task KernelDeletedBehindOurBack_IsReportedGone()
    {
        await using var provider = new GatewayKernelProvider("srv", Options(Server.Url, Server.Token));
        using var other = new GatewayClient("other", Options(Server.Url, Server.Token));
        var ct = Timeout(50);
        var record = await provider.StartKernelAsync(StartRequest(), ct);
        await using var channels = await provider.ConnectWebSocketAsync(record, null, ct);
        await ExecuteRoundTrip.KernelInfoAsync(channels, new MessageFactory(), ct);
        Assert.True(await other.DeleteKernelAsync(record.RemoteId!, ct));

        var error = await WaitForCompletionAsync(channels, TimeSpan.FromSeconds(30));
        var ke = Assert.IsType<KernelException>(error);
        Assert.Equal(ErrorIds.KernelNotFound, ke.ErrorId);
        Assert.Equal(KernelLiveness.Gone, (await provider.ProbeAsync(record, ct)).Liveness);
        var send = await Assert.ThrowsAsync<KernelException>(async () =>
            await channels.SendAsync(KernelChannel.Shell, new MessageFactory().Create("kernel_info_request", RequestContent.Empty), ct));
        Assert.Equal(ErrorIds.ConnectionFailed, send.ErrorId);
        var get = await Assert.ThrowsAsync<KernelException>(() => provider.Client.GetKernelAsync(record.RemoteId!, ct));
        Assert.Equal(ErrorIds.KernelNotFound, get.ErrorId);
        await Assert.ThrowsAsync<KernelException>(() => provider.InterruptAsync(record, ct));
    }

    [Fact(Timeout = 60_000)]
    public async Task Sessions_Crud()
    {
        using var client = new GatewayClient("srv", Options(Server.Url, Server.Token));
        var ct = Timeout(50);
        var session = await client.CreateSessionAsync("notes/a.ipynb", "a", "notebook", "python3", null, ct);
        try
        {
            Assert.NotNull(session.Kernel);
            Assert.Equal("notes/a.ipynb", session.Path);
            Assert.Contains(await client.ListSessionsAsync(ct), s => s.Id == session.Id);
            var again = await client.CreateSessionAsync("notes/a.ipynb", "a", "notebook", "python3", null, ct);
            Assert.Equal(session.Id, again.Id); // create-or-return by path
            var renamed = await client.UpdateSessionAsync(session.Id, null, "renamed", null, null, ct);
            Assert.Equal("renamed", renamed.Name);
            Assert.Equal("renamed", (await client.GetSessionAsync(session.Id, ct))!.Name);
        }
        finally
        {
            Assert.True(await client.DeleteSessionAsync(session.Id, CancellationToken.None));
        }
        Assert.Null(await client.GetSessionAsync(session.Id, ct));
        Assert.False(await client.DeleteSessionAsync(session.Id, ct));
    }

    [Fact(Timeout = 30_000)]
    public async Task KernelSpecResources_AreDownloaded()
    {
        await using var provider = new GatewayKernelProvider("srv", Options(Server.Url, Server.Token));
        using var temp = new TempDirectory("jk-res");
        var folder = temp.Path;
        var files = await provider.SaveKernelSpecResourcesAsync("srv/python3", folder, Timeout(20));
        Assert.Contains(files, f => Path.GetFileName(f) == "logo-64x64.png");
        var png = await File.ReadAllBytesAsync(Path.Combine(folder, "logo-64x64.png"));
        Assert.Equal(0x89, png[0]);
        Assert.Equal((byte)'P', png[1]);
    }
}
