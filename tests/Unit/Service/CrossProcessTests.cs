using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.Service;

/// <summary>Real processes: a kernel started by one process (which then exits) is found and driven by others.</summary>
[Trait("Category", "Integration")] // starts processes or servers
public sealed class CrossProcessTests : IAsyncLifetime
{
    private readonly ServiceFixture _fixture = new();

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _fixture.DisposeAsync();

    [Fact]
    public async Task Kernel_started_by_an_exited_process_is_driven_by_two_later_processes()
    {
        var start = await SiblingTool.RunAsync("KernelCli", _fixture.Environment, TimeSpan.FromSeconds(120), "start", "python3");
        Assert.True(start.ExitCode == 0, start.Stderr);
        var id = start.Stdout.Trim();

        var set = await SiblingTool.RunAsync("KernelCli", _fixture.Environment, TimeSpan.FromSeconds(90), "exec", id, "counter = 41");
        Assert.True(set.ExitCode == 0, set.Stderr);
        var get = await SiblingTool.RunAsync("KernelCli", _fixture.Environment, TimeSpan.FromSeconds(90), "exec", id, "counter += 1; print(counter)");
        Assert.True(get.ExitCode == 0, get.Stderr);
        Assert.Contains("42", get.Stdout);
        Assert.Contains("status=ok", get.Stdout);

        // And this process too, through its own service instance.
        await using var service = _fixture.NewService();
        var listed = Assert.Single(await service.GetKernelsAsync(CancellationToken.None));
        Assert.Equal(id, listed.Id);
    }

    [Fact]
    public async Task Two_processes_asking_for_one_new_session_share_one_kernel()
    {
        var a = SiblingTool.RunAsync("KernelCli", _fixture.Environment, TimeSpan.FromSeconds(120), "session", "shared", "python3");
        var b = SiblingTool.RunAsync("KernelCli", _fixture.Environment, TimeSpan.FromSeconds(120), "session", "shared", "python3");
        var results = await Task.WhenAll(a, b);
        Assert.All(results, r => Assert.True(r.ExitCode == 0, r.Stderr));
        Assert.Equal(results[0].Stdout.Trim(), results[1].Stdout.Trim());
        await using var service = _fixture.NewService();
        Assert.Single(await service.GetKernelsAsync(CancellationToken.None));
    }
}
