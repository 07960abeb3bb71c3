using System.Diagnostics;
using JupyterKernels.Connections;
using JupyterKernels.Service;
using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.Service;

/// <summary>Subshells through the service (what New-/Get-/Remove-KernelSubShell and Invoke-KernelCode -SubShell call),
/// on our protocol 5.5 test kernel.</summary>
[Trait("Category", "Integration")] // starts processes or servers
[Collection(JupyterKernels.Tests.SubShells.TimingSensitive.Name)]
public sealed class ServiceSubShellTests : IAsyncLifetime
{
    private readonly ServiceFixture _fixture = new();
    private KernelService _service = null!;
    private Kernel _kernel = null!;

    public async Task InitializeAsync()
    {
        _service = _fixture.NewService();
        _kernel = await _service.StartKernelAsync(new StartKernelOptions { SpecName = ServiceFixture.TestKernelSpec }, null, Bound());
    }

    public async Task DisposeAsync()
    {
        await _service.DisposeAsync();
        await _fixture.DisposeAsync();
    }

    private static CancellationToken Bound(int seconds = 60) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    private async Task<(string Stdout, KernelExecuteReply Reply)> RunAsync(string code, string? subShell = null, IKernelService? service = null)
    {
        var ct = Bound();
        var execution = await (service ?? _service).ExecuteAsync(_kernel.Id, code, new ExecuteOptions { SubShellId = subShell }, ct);
        var text = new System.Text.StringBuilder();
        await foreach (var o in execution.Outputs.ReadAllAsync(ct)) if (o is KernelStreamOutput s) text.Append(s.Text);
        return (text.ToString(), await execution.Completion.WaitAsync(ct));
    }

    [Fact]
    public async Task Create_list_delete_and_run_while_the_main_shell_is_busy()
    {
        var sub = await _service.CreateSubShellAsync(_kernel.Id, Bound());
        Assert.Equal(_kernel.Id, sub.KernelId);
        Assert.Contains(await _service.GetSubShellsAsync(_kernel.Id, Bound()), s => s.SubShellId == sub.SubShellId);

        var main = RunAsync("sleep 4\nprint main done");
        await Task.Delay(300);
        var sw = Stopwatch.StartNew();
        var (stdout, reply) = await RunAsync("subshell", sub.SubShellId);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(2), $"subshell answered after {sw.Elapsed}");
        Assert.Equal("ok", reply.Status);
        Assert.Equal(sub.SubShellId + "\n", stdout);
        Assert.False(main.IsCompleted);
        Assert.Equal("main done\n", (await main).Stdout);

        await _service.DeleteSubShellAsync(_kernel.Id, sub.SubShellId, Bound());
        Assert.DoesNotContain(await _service.GetSubShellsAsync(_kernel.Id, Bound()), s => s.SubShellId == sub.SubShellId);
        var gone = await Assert.ThrowsAsync<KernelException>(() => RunAsync("print x", sub.SubShellId));
        Assert.Equal(ErrorIds.SubShellNotFound, gone.ErrorId);
    }

    [Fact]
    public async Task Concurrent_callers_on_one_shared_connection_get_their_own_outputs()
    {
        var subs = new[] { await _service.CreateSubShellAsync(_kernel.Id, Bound()), await _service.CreateSubShellAsync(_kernel.Id, Bound()) };
        // Like ForEach-Object -Parallel: several threads, one process-wide service and connection.
        var work = Enumerable.Range(0, 6).Select(i => Task.Run(() =>
        {
            var sub = i % 3 == 0 ? null : subs[i % 2].SubShellId;
            var code = string.Join('\n', Enumerable.Repeat($"print m{i}", 30));
            return RunAsync(code, sub);
        })).ToArray();
        var results = await Task.WhenAll(work);
        for (int i = 0; i < results.Length; i++)
        {
            Assert.Equal("ok", results[i].Reply.Status);
            var lines = results[i].Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(30, lines.Length);
            Assert.All(lines, l => Assert.Equal($"m{i}", l));
        }
    }

    [Fact]
    public async Task Restart_invalidates_every_subshell()
    {
        var sub = await _service.CreateSubShellAsync(_kernel.Id, Bound());
        await _service.RestartKernelAsync(_kernel.Id, force: false, Bound());
        var e = await Assert.ThrowsAsync<KernelException>(() => RunAsync("print x", sub.SubShellId));
        Assert.Equal(ErrorIds.SubShellNotFound, e.ErrorId);
        Assert.Empty(await _service.GetSubShellsAsync(_kernel.Id, Bound()));
    }

    [Fact]
    public async Task Subshells_are_found_again_by_a_new_process()
    {
        var sub = await _service.CreateSubShellAsync(_kernel.Id, Bound());
        await using var other = _fixture.NewService();
        var (stdout, _) = await RunAsync("subshell", sub.SubShellId, other);
        Assert.Equal(sub.SubShellId + "\n", stdout);
    }

    [Fact]
    public async Task A_kernel_without_the_feature_gets_a_clear_error_at_once()
    {
        // python3 here is ipykernel 6 (no "kernel subshells").
        var plain = await _service.StartKernelAsync(new StartKernelOptions { SpecName = "python3" }, null, Bound());
        var sw = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<KernelException>(() => _service.GetSubShellsAsync(plain.Id, Bound()));
        Assert.Equal(ErrorIds.SubShellsNotSupported, e.ErrorId);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(3));
    }
}
