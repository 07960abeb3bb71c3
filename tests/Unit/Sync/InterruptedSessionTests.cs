using System.Diagnostics;
using JupyterKernels.Store;
using JupyterKernels.Sync;
using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.Sync;

/// <summary>
/// A New-KernelSession killed while its kernel starts (another real process, KernelCli, killed with SIGKILL once the
/// session is claimed and the kernel recorded Starting) leaves a pending session and a kernel its start left running.
/// One sync resolves both: the session is bound to that kernel, and the next create-or-reuse of the name reuses it
/// instead of starting a second kernel.
/// </summary>
[Trait("Category", "Integration")]
public sealed class InterruptedSessionTests : IAsyncLifetime
{
    private readonly ServiceFixture _fixture = new();

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _fixture.DisposeAsync();

    [Fact]
    public async Task One_sync_binds_the_kernel_of_a_killed_New_KernelSession_to_its_session_and_the_next_one_reuses_it()
    {
        using var ct = new CancellationTokenSource(TimeSpan.FromSeconds(180));
        await using var service = _fixture.NewService();
        var store = await service.StoreAsync(ct.Token);

        var info = new ProcessStartInfo(SiblingTool.DotnetHost) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(SiblingTool.DllPath("KernelCli"));
        foreach (var a in new[] { "session", "killed", "python3" }) info.ArgumentList.Add(a);
        foreach (var (k, v) in _fixture.Environment) info.Environment[k] = v;
        // Held inside its start (the connection file's rewrite once the kernel is ready) until killed: no race with
        // a start that would otherwise finish between the test's look and its kill.
        info.Environment[RewriteWindow.PauseVariable] = "120000";
        var runtime = _fixture.Environment["JUPYTER_RUNTIME_DIR"];
        using var cli = Process.Start(info)!;
        string? startingId = null;
        if (await RewriteWindow.WaitForHeldRewriteAsync(runtime, cli, ct.Token) is not null)
        {
            Assert.Contains(await store.ListPendingSessionsAsync(ct.Token), p => p.Name == "killed");
            startingId = (await store.ListKernelsAsync(null, ct.Token)).FirstOrDefault(k => k.State == KernelState.Starting && k.StarterPid == cli.Id)?.Id;
        }
        if (startingId is null)
        {
            if (!cli.HasExited) cli.Kill();
            Assert.Fail($"KernelCli was not held inside its start: {await cli.StandardError.ReadToEndAsync()}");
        }
        cli.Kill();
        await cli.WaitForExitAsync(ct.Token);
        Assert.DoesNotContain(await service.GetSessionsAsync(ct.Token), x => x.Name == "killed"); // pending: hidden

        // The kernel the start left finishes starting on its own; give it the time a user would take to notice.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        SyncResult[] results;
        while (true)
        {
            results = await Collect(service.SynchronizeAsync(new SyncOptions(), null, null, ct.Token));
            if (results.Any(r => r.Reason.Contains("session 'killed'", StringComparison.Ordinal)) || DateTime.UtcNow > deadline) break;
            await Task.Delay(1000, ct.Token); // the kernel is still starting: the start's recovery keeps it, and the claim
        }
        var bound = Assert.Single(results, r => r.Reason.Contains("session 'killed'", StringComparison.Ordinal));
        Assert.Equal(SyncAction.Updated, bound.Action);
        Assert.Equal(startingId, bound.KernelId);

        var session = Assert.Single(await service.GetSessionsAsync(ct.Token), x => x.Name == "killed");
        Assert.Equal(startingId, session.KernelId);
        Assert.Empty(await store.ListPendingSessionsAsync(ct.Token));
        var again = await service.NewSessionAsync("killed", "python3", null, null, null, ct.Token);
        Assert.Equal(startingId, again.KernelId);
        Assert.Single(await service.GetKernelsAsync(ct.Token));
    }

    [Fact]
    public async Task One_sync_removes_a_pending_session_whose_process_is_gone_and_started_no_kernel()
    {
        using var ct = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var service = _fixture.NewService();
        var store = await service.StoreAsync(ct.Token);
        using var gone = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        await gone.WaitForExitAsync(ct.Token);
        using (var raw = StoreTestUtil.Raw(_fixture.DatabasePath, Microsoft.Data.Sqlite.SqliteOpenMode.ReadWrite))
            StoreTestUtil.Exec(raw, "INSERT INTO sessions (id, name, path, type, kernel_id, created_at, pending_token, pending_pid, pending_since) " +
                $"VALUES ('s1', 'orphan', '', 'console', NULL, '{KernelStore.Time(DateTimeOffset.UtcNow)}', 'tok', {gone.Id}, '{KernelStore.Time(DateTimeOffset.UtcNow)}')");

        var results = await Collect(service.SynchronizeAsync(new SyncOptions { WhatIf = true }, null, null, ct.Token));
        Assert.Contains(results, r => r.Action == SyncAction.Removed && r.WhatIf && r.Reason.Contains("session 'orphan'", StringComparison.Ordinal));
        Assert.Single(await store.ListPendingSessionsAsync(ct.Token));

        results = await Collect(service.SynchronizeAsync(new SyncOptions(), null, null, ct.Token));
        Assert.Contains(results, r => r.Action == SyncAction.Removed && r.Reason.Contains("no kernel was started", StringComparison.Ordinal));
        Assert.Empty(await store.ListPendingSessionsAsync(ct.Token));
    }

    private static async Task<SyncResult[]> Collect(IAsyncEnumerable<SyncResult> results)
    {
        var list = new List<SyncResult>();
        await foreach (var r in results) list.Add(r);
        return list.ToArray();
    }
}
