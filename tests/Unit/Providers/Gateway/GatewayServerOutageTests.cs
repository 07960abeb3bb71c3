using JupyterKernels.Messaging;
using JupyterKernels.Providers.Gateway;
using static JupyterKernels.Tests.Gateway.GatewayTestUtil;

namespace JupyterKernels.Tests.Gateway;

/// <summary>Each test owns a server it breaks.</summary>
[Trait("Category", "Integration")] // starts processes or servers
public sealed class GatewayServerOutageTests
{
    [Fact(Timeout = 60_000)]
    public async Task ServerStoppedMidExecution_EndsWithClearError_NoHang()
    {
        await using var server = await JupyterServer.StartAsync();
        await using var provider = new GatewayKernelProvider("srv", Options(server.Url, server.Token, o => o with { KernelPollInterval = TimeSpan.Zero, ConnectTimeout = TimeSpan.FromSeconds(2) }));
        var ct = Timeout(50);
        var record = await provider.StartKernelAsync(StartRequest(), ct);
        await using var channels = await provider.ConnectWebSocketAsync(record, null, ct);
        var factory = new MessageFactory();
        await ExecuteRoundTrip.KernelInfoAsync(channels, factory, ct);
        var sleep = factory.Create("execute_request", RequestContent.Execute("import time; time.sleep(30)"));
        await channels.SendAsync(KernelChannel.Shell, sleep, ct);
        await WaitForAsync(channels, sleep.MsgId, "execute_input", ct);

        var sw = System.Diagnostics.Stopwatch.StartNew();
        await server.KillAsync();
        var error = await WaitForCompletionAsync(channels, TimeSpan.FromSeconds(25));
        var ke = Assert.IsType<KernelException>(error);
        Assert.Equal(ErrorIds.ConnectionFailed, ke.ErrorId);
        // Refused reconnects are evidence that the server is down: the call ends in seconds, naming the server.
        Assert.Contains("refused the connection", ke.Message);
        Assert.Contains("'srv'", ke.Message);
        Assert.DoesNotContain(server.Token, ke.ToString());
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(8), $"took {sw.Elapsed}");
        var send = await Assert.ThrowsAsync<KernelException>(async () => await channels.SendAsync(KernelChannel.Shell, factory.Create("kernel_info_request", RequestContent.Empty), ct));
        Assert.Equal(ErrorIds.ConnectionFailed, send.ErrorId);
        Assert.Equal(Providers.KernelLiveness.Unknown, (await provider.ProbeAsync(record, ct)).Liveness);
    }

    [Fact(Timeout = 60_000)]
    public async Task ServerRestarted_ReconnectFindsKernelGone()
    {
        await using var server = await JupyterServer.StartAsync();
        await using var provider = new GatewayKernelProvider("srv", Options(server.Url, server.Token, o => o with
        {
            KernelPollInterval = TimeSpan.Zero, RetryInterval = TimeSpan.FromMilliseconds(500), RetryIntervalMax = TimeSpan.FromSeconds(2), RetryMax = 8,
            RefusalsToGiveUp = 0, // waits through the refusals while the server comes back
        }));
        var ct = Timeout(50);
        var record = await provider.StartKernelAsync(StartRequest(), ct);
        await using var channels = await provider.ConnectWebSocketAsync(record, null, ct);
        var events = new List<Connections.ChannelEvent>();
        channels.Event += (_, e) => { lock (events) events.Add(e); };
        await ExecuteRoundTrip.KernelInfoAsync(channels, new MessageFactory(), ct);

        await server.KillAsync();
        await server.LaunchAsync();
        var error = await WaitForCompletionAsync(channels, TimeSpan.FromSeconds(40));
        var ke = Assert.IsType<KernelException>(error);
        Assert.Equal(ErrorIds.KernelNotFound, ke.ErrorId);
        lock (events)
        {
            Assert.Contains(events, e => e.Kind == Connections.ChannelEventKind.Disconnected);
            Assert.Contains(events, e => e.Kind == Connections.ChannelEventKind.Reconnecting);
        }
        Assert.Equal(Providers.KernelLiveness.Gone, (await provider.ProbeAsync(record, ct)).Liveness);
    }
}
