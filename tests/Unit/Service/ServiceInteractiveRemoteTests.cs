using JupyterKernels.Connections;
using JupyterKernels.Service;
using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.Service;

/// <summary>An interactive console's requests (complete, is_complete, history) to a kernel of a real jupyter-server,
/// over its kernel WebSocket.</summary>
[Trait("Category", "Integration")] // starts processes or servers
public sealed class ServiceInteractiveRemoteTests : RemoteServiceTests
{
    private static CancellationToken Bound(int seconds = 90) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    [Fact]
    public async Task Completion_continuation_and_history_travel_through_the_server()
    {
        var kernel = await Service.StartKernelAsync(new StartKernelOptions { SpecName = "srv/python3" }, null, Bound());
        var timeout = TimeSpan.FromSeconds(10);

        var completion = await Service.CompleteAsync(kernel.Id, "import o", 8, timeout, Bound());
        Assert.Contains("os", completion.Matches);
        Assert.Equal((7, 8), (completion.CursorStart, completion.CursorEnd));

        Assert.Equal(new CodeCompleteness(CodeCompletenessStatus.Incomplete, "    "), await Service.IsCompleteAsync(kernel.Id, "def f():", timeout, Bound()));

        var marker = Guid.NewGuid().ToString("N")[..8];
        var execution = await Service.ExecuteAsync(kernel.Id, $"r_{marker} = 1", new ExecuteOptions(), Bound());
        Assert.Equal("ok", (await execution.Completion.WaitAsync(Bound())).Status);
        Assert.Contains(await Service.GetHistoryAsync(kernel.Id, 20, timeout, Bound()), h => h.Input == $"r_{marker} = 1");

        await Service.StopKernelAsync(kernel.Id, force: false, Bound());
    }
}
