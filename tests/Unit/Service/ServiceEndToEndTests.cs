using System.Diagnostics;
using JupyterKernels.Connections;
using JupyterKernels.Service;
using JupyterKernels.Tests.Support;
using JupyterKernels.Sync;

namespace JupyterKernels.Tests.Service;

/// <summary>
/// The service the cmdlets call, against the real ipykernel and a real SQLite store. Each new service instance
/// stands for a new PowerShell process: it knows only what the store tells it.
/// </summary>
[Trait("Category", "Integration")] // starts processes or servers
public sealed class ServiceEndToEndTests : IAsyncLifetime
{
    private readonly ServiceFixture _fixture = new();

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _fixture.DisposeAsync();

    private static CancellationToken Bound(int seconds = 90) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    private static async Task<(string Stdout, KernelExecuteReply Reply, List<KernelOutput> Outputs)> RunAsync(IKernelService service, string kernelId, string code, ExecuteOptions? options = null)
    {
        var ct = Bound(60);
        var execution = await service.ExecuteAsync(kernelId, code, options ?? new ExecuteOptions(), ct);
        var outputs = new List<KernelOutput>();
        await foreach (var o in execution.Outputs.ReadAllAsync(ct)) outputs.Add(o);
        var reply = await execution.Completion.WaitAsync(ct);
        return (string.Concat(outputs.OfType<KernelStreamOutput>().Select(s => s.Text)), reply, outputs);
    }

    [Fact]
    public async Task Kernel_started_by_one_service_is_listed_and_driven_by_another_and_stopped()
    {
        string id;
        await using (var first = _fixture.NewService())
        {
            var kernel = await first.StartKernelAsync(new StartKernelOptions { SpecName = "python3" }, null, Bound());
            id = kernel.Id;
            Assert.Equal("local", kernel.Provider);
            Assert.NotNull(kernel.Pid);
            await RunAsync(first, id, "warm = 'state kept'");
        }
        await using var second = _fixture.NewService();
        var listed = Assert.Single(await second.GetKernelsAsync(Bound()));
        Assert.Equal(id, listed.Id);
        var (stdout, reply, _) = await RunAsync(second, id, "print(warm)");
        Assert.Equal("ok", reply.Status);
        Assert.Equal("state kept\n", stdout);
        await second.StopKernelAsync(id, force: false, Bound());
        Assert.Empty(await second.GetKernelsAsync(Bound()));
        Assert.False(JupyterKernels.Processes.ProcessSignals.Exists(listed.Pid!.Value) && !File.ReadAllText($"/proc/{listed.Pid}/stat").Contains(") Z"));
    }

    [Fact]
    public async Task Sessions_create_or_reuse_by_name()
    {
        await using var service = _fixture.NewService();
        var a = await service.NewSessionAsync("etl", "python3", null, null, null, Bound());
        var b = await service.NewSessionAsync("etl", "python3", null, null, null, Bound());
        Assert.Equal(a.KernelId, b.KernelId);
        var kernel = await service.GetKernelAsync(a.KernelId, Bound());
        Assert.Equal("etl", kernel.Session);
        var viaStart = await service.StartKernelAsync(new StartKernelOptions { SpecName = "python3", SessionName = "etl" }, null, Bound());
        Assert.Equal(a.KernelId, viaStart.Id);
        Assert.Single(await service.GetSessionsAsync(Bound()));
        // the same name with another kernelspec is refused, and the session is left as it was.
        var mismatch = await Assert.ThrowsAsync<KernelException>(() => service.NewSessionAsync("etl", "ir", null, null, null, Bound()));
        Assert.Equal(ErrorIds.SessionExists, mismatch.ErrorId);
        Assert.Contains("'python3'", mismatch.Message);
        Assert.Equal(a.KernelId, Assert.Single(await service.GetSessionsAsync(Bound())).KernelId);
        await service.RemoveSessionAsync("etl", stopKernel: true, force: false, Bound());
        Assert.Empty(await service.GetSessionsAsync(Bound()));
        Assert.Empty(await service.GetKernelsAsync(Bound()));
    }

    [Fact]
    public async Task A_session_whose_kernel_died_gets_a_new_kernel()
    {
        await using var service = _fixture.NewService();
        var first = await service.NewSessionAsync("nightly", "python3", null, null, null, Bound());
        var pid = (await service.GetKernelAsync(first.KernelId, Bound())).Pid!.Value;
        Process.GetProcessById(pid).Kill();
        await Task.Delay(300);
        var second = await service.NewSessionAsync("nightly", "python3", null, null, null, Bound());
        Assert.NotEqual(first.KernelId, second.KernelId);
        var (stdout, _, _) = await RunAsync(service, second.KernelId, "print('new kernel')");
        Assert.Equal("new kernel\n", stdout);
    }

    [Fact]
    public async Task Subshells_on_ipykernel_6_fail_at_once_with_SubShellsNotSupported()
    {
        await using var service = _fixture.NewService();
        var kernel = await service.StartKernelAsync(new StartKernelOptions { SpecName = "python3" }, null, Bound());
        var sw = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<KernelException>(() => service.CreateSubShellAsync(kernel.Id, Bound()));
        Assert.Equal(ErrorIds.SubShellsNotSupported, e.ErrorId);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(3), $"took {sw.Elapsed}");
        var unknown = await Assert.ThrowsAsync<KernelException>(() => service.ExecuteAsync(kernel.Id, "1", new ExecuteOptions { SubShellId = "nope" }, Bound()));
        Assert.Equal(ErrorIds.SubShellNotFound, unknown.ErrorId);
    }

    [Fact]
    public async Task Unknown_kernel_id_is_KernelNotFound_and_unknown_spec_is_KernelSpecNotFound()
    {
        await using var service = _fixture.NewService();
        var e = await Assert.ThrowsAsync<KernelException>(() => service.ExecuteAsync("no-such-id", "1", new ExecuteOptions(), Bound()));
        Assert.Equal(ErrorIds.KernelNotFound, e.ErrorId);
        var s = await Assert.ThrowsAsync<KernelException>(() => service.StartKernelAsync(new StartKernelOptions { SpecName = "cobol" }, null, Bound()));
        Assert.Equal(ErrorIds.KernelSpecNotFound, s.ErrorId);
        Assert.Contains("python3", s.Message);
        // A failed start leaves no record behind.
        Assert.Empty(await service.GetKernelsAsync(Bound()));
        var p = await Assert.ThrowsAsync<KernelException>(() => service.StartKernelAsync(new StartKernelOptions { SpecName = "nowhere/python3" }, null, Bound()));
        Assert.Equal(ErrorIds.ProviderNotFound, p.ErrorId);
    }

    [Fact]
    public async Task Sync_marks_a_killed_kernel_dead_then_removes_it_and_keeps_the_live_one()
    {
        await using var service = _fixture.NewService();
        var alive = await service.StartKernelAsync(new StartKernelOptions { SpecName = "python3" }, null, Bound());
        var doomed = await service.StartKernelAsync(new StartKernelOptions { SpecName = "python3" }, null, Bound());
        Process.GetProcessById(doomed.Pid!.Value).Kill();
        await Task.Delay(500);

        Assert.True(File.Exists(doomed.ConnectionFile));
        var whatIf = await Collect(service.SynchronizeAsync(new SyncOptions { WhatIf = true, RemoveDead = true }, null, null, Bound()));
        Assert.Contains(whatIf, r => r.KernelId == doomed.Id && r.Action == SyncAction.Removed && r.WhatIf);
        Assert.Equal(2, (await service.GetKernelsAsync(Bound())).Count);

        var results = await Collect(service.SynchronizeAsync(new SyncOptions(), null, null, Bound()));
        Assert.Contains(results, r => r.KernelId == doomed.Id && r.Action == SyncAction.MarkedDead);
        Assert.Contains(results, r => r.KernelId == alive.Id && r.Action is SyncAction.Kept or SyncAction.Updated);
        Assert.Equal(KernelState.Dead, (await service.GetKernelAsync(doomed.Id, Bound())).State);

        var removal = await Collect(service.SynchronizeAsync(new SyncOptions { RemoveDead = true }, null, null, Bound()));
        Assert.Contains(removal, r => r.KernelId == doomed.Id && r.Action == SyncAction.Removed);
        Assert.Equal(alive.Id, Assert.Single(await service.GetKernelsAsync(Bound())).Id);
        // the removed kernel's connection file (it holds the key) and log go with its record.
        Assert.False(File.Exists(doomed.ConnectionFile), "connection file left behind");
        Assert.False(File.Exists(Path.ChangeExtension(doomed.ConnectionFile!, ".log")), "log left behind");
        Assert.True(File.Exists(alive.ConnectionFile));
    }

    [Fact]
    public async Task Sync_culls_idle_kernels_only_past_the_threshold()
    {
        await using var service = _fixture.NewService();
        var kernel = await service.StartKernelAsync(new StartKernelOptions { SpecName = "python3" }, null, Bound());
        var keep = await Collect(service.SynchronizeAsync(new SyncOptions { CullIdle = TimeSpan.FromHours(1) }, null, null, Bound()));
        Assert.DoesNotContain(keep, r => r.Action == SyncAction.Culled);
        await Task.Delay(1500);
        var cull = await Collect(service.SynchronizeAsync(new SyncOptions { CullIdle = TimeSpan.FromSeconds(1) }, null, null, Bound()));
        Assert.Contains(cull, r => r.KernelId == kernel.Id && r.Action == SyncAction.Culled);
        Assert.Empty(await service.GetKernelsAsync(Bound()));
    }

    [Fact]
    public async Task Restart_through_the_service_keeps_the_id_and_the_session()
    {
        await using var service = _fixture.NewService();
        var session = await service.NewSessionAsync("r", "python3", null, null, null, Bound());
        await RunAsync(service, session.KernelId, "x = 1");
        var restarted = await service.RestartKernelAsync(session.KernelId, force: false, Bound());
        Assert.Equal(session.KernelId, restarted.Id);
        var (_, _, outputs) = await RunAsync(service, session.KernelId, "'x' in globals()");
        Assert.Equal("False", outputs.OfType<KernelExecuteResult>().Single().Data["text/plain"]);
        Assert.Equal("r", (await service.GetKernelAsync(session.KernelId, Bound())).Session);
    }

    private static async Task<List<SyncResult>> Collect(IAsyncEnumerable<SyncResult> results)
    {
        var list = new List<SyncResult>();
        await foreach (var r in results) list.Add(r);
        return list;
    }
}
