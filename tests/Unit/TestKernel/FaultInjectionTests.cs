using System.Collections.Concurrent;
using System.Diagnostics;
using JupyterKernels.Connections;
using JupyterKernels.TestKernel;
using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.TestKernel;

/// <summary>The client against a misbehaving kernel: every fault ends in a result or a bounded, typed failure.</summary>
[Trait("Category", "Integration")] // starts processes or servers
public sealed class FaultInjectionTests : IAsyncLifetime
{
    private static readonly TimeSpan ShortTimeout = TimeSpan.FromSeconds(1.5);
    private readonly ConcurrentQueue<ChannelEvent> _events = new();
    private TestKernelHost _host = null!;
    private KernelClient Client => _host.Client;

    public async Task InitializeAsync() => _host = await TestKernelHost.StartAsync(new TestKernelStartOptions
    {
        OnChannelEvent = (_, e) => _events.Enqueue(e),
        ConfigureClient = o => o with { IdleGrace = TimeSpan.FromMilliseconds(300), WatchInterval = TimeSpan.FromMilliseconds(200) },
    });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static ExecuteOptions Bounded => new() { Timeout = ShortTimeout, InterruptOnCancel = false };

    private async Task<KernelException> ExpectTimeoutAsync(string code)
    {
        var execution = await Client.ExecuteAsync(code, Bounded, CancellationToken.None);
        var error = await Assert.ThrowsAsync<KernelException>(() => execution.Completion.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(ErrorIds.ExecutionTimeout, error.ErrorId);
        return error;
    }

    private async Task StillWorksAsync()
    {
        var result = await ExecutionResult.RunAsync(Client, "print alive", bound: TimeSpan.FromSeconds(10));
        Assert.Equal("ok", result.Reply.Status);
        Assert.Equal("alive\n", result.Stdout);
    }

    [Fact]
    public async Task Badly_signed_reply_is_dropped_and_reported()
    {
        await ExpectTimeoutAsync("fault badsig\nprint x");
        Assert.Contains(_events, e => e.Kind == ChannelEventKind.InvalidSignature);
        await StillWorksAsync();
    }

    [Fact]
    public async Task Malformed_reply_is_dropped_and_reported()
    {
        await ExpectTimeoutAsync("fault malformed\nprint x");
        Assert.Contains(_events, e => e.Kind == ChannelEventKind.MalformedMessage);
        Assert.DoesNotContain(_events, e => e.Kind == ChannelEventKind.InvalidSignature);
        await StillWorksAsync();
    }

    [Fact]
    public async Task Missing_reply_times_out()
    {
        await ExpectTimeoutAsync("fault noreply\nprint x");
        await StillWorksAsync();
    }

    [Fact]
    public async Task Silent_kernel_times_out()
    {
        await ExpectTimeoutAsync("fault silent\nprint x");
        await StillWorksAsync();
    }

    [Fact]
    public async Task Missing_idle_completes_after_the_idle_grace()
    {
        var sw = Stopwatch.StartNew();
        var result = await ExecutionResult.RunAsync(Client, "fault noidle\nprint done", bound: TimeSpan.FromSeconds(10));
        Assert.Equal("ok", result.Reply.Status);
        Assert.Equal("done\n", result.Stdout);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"took {sw.Elapsed}");
        await StillWorksAsync();
    }

    [Fact]
    public async Task Duplicate_reply_is_ignored()
    {
        var result = await ExecutionResult.RunAsync(Client, "fault dupreply\nprint once", bound: TimeSpan.FromSeconds(10));
        Assert.Equal("ok", result.Reply.Status);
        Assert.Equal("once\n", result.Stdout);
        await StillWorksAsync();
        Assert.Null(Client.TerminalError);
    }

    [Fact]
    public async Task Kernel_dying_mid_execution_is_KernelDied()
    {
        var sw = Stopwatch.StartNew();
        var execution = await Client.ExecuteAsync("print going\nfault die", new ExecuteOptions { Timeout = TimeSpan.FromSeconds(30) }, CancellationToken.None);
        var error = await Assert.ThrowsAsync<KernelException>(() => execution.Completion.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(ErrorIds.KernelDied, error.ErrorId);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"death noticed after {sw.Elapsed}");
    }
}
