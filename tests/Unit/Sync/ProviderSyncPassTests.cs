using JupyterKernels.Providers;
using JupyterKernels.Store;
using JupyterKernels.Sync;
using JupyterKernels.Tests.Support;
using static JupyterKernels.Tests.Support.StoreTestUtil;

namespace JupyterKernels.Tests.Sync;

/// <summary>
/// <see cref="ProviderSyncPass"/> one step at a time, over a real SQLite store and a scripted provider: what each step
/// decides (gone, alive, unknown, adopt, cull, an interrupted start), that deciding writes nothing, and that
/// <see cref="ProviderSyncPass.ApplyAsync"/> writes the decisions in one go (or says another process got there first).
/// </summary>
public sealed class ProviderSyncPassTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly TempDirectory _dir = new("jk-pass");
    private readonly FakeProvider _gw = new("gw");
    private readonly List<KernelWarning> _warnings = new();
    private readonly List<(string Target, string Action)> _asked = new();
    private KernelStore _store = null!;

    public async Task InitializeAsync() => _store = await KernelStore.OpenAsync(_dir.File("jk.db"));

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _dir.Dispose();
    }

    private Task Remote(string id, KernelState state = KernelState.Idle, DateTimeOffset? activity = null, int? conns = 0, DateTimeOffset? created = null) =>
        _store.AddKernelAsync(Record(id, "gw", state, remoteId: "r-" + id, lastActivity: activity ?? Now.AddMinutes(-1), connections: conns, created: created));

    private void List(string id, KernelState state = KernelState.Idle, DateTimeOffset? activity = null, int conns = 0) =>
        _gw.Listed.Add(new ProviderKernel("r-" + id, "python3") { State = state, LastActivity = activity ?? Now.AddMinutes(-1), Connections = conns });

    private async Task<ProviderSyncPass> PassAsync(SyncOptions options, bool confirm = true, IKernelProvider? provider = null)
    {
        provider ??= _gw;
        var records = (await _store.ListKernelsAsync(provider.Name)).ToList();
        var executions = (await _store.ListExecutionsAsync()).GroupBy(e => e.KernelId).ToDictionary(g => g.Key, g => g.ToList());
        return new ProviderSyncPass(_store, provider, records, executions, options,
            (target, action) => { _asked.Add((target, action)); return confirm; }, _warnings.Add, parallelism: 4);
    }

    /// <summary>The steps up to the decisions, in the synchronizer's order; nothing applied.</summary>
    private static async Task DecideAsync(ProviderSyncPass pass, SyncRunSummary? summary = null)
    {
        Assert.True(await pass.ListAsync(summary ?? new SyncRunSummary(), CancellationToken.None));
        await pass.RecoverStartsAsync(CancellationToken.None);
        await pass.ObserveAsync(CancellationToken.None);
        await pass.DecideAsync(Now, CancellationToken.None);
        await pass.ResolveStartsAsync(CancellationToken.None);
        await pass.AdoptAsync(Now, CancellationToken.None);
        await pass.CullAsync(CancellationToken.None);
    }

    private static SyncResult One(ProviderSyncPass pass, string id) => Assert.Single(pass.Results, r => r.KernelId == id);

    [Fact]
    public async Task List_that_fails_ends_the_pass_with_every_record_Failed_and_unchanged()
    {
        await Remote("a");
        _gw.ListError = new HttpRequestException("connection refused");
        var pass = await PassAsync(new SyncOptions());
        var summary = new SyncRunSummary();

        Assert.False(await pass.ListAsync(summary, CancellationToken.None));
        var result = One(pass, "a");
        Assert.Equal(SyncAction.Failed, result.Action);
        Assert.Contains("connection refused", result.Reason);
        Assert.Contains("connection refused", summary.FailedProviders["gw"]);
        Assert.Empty(_warnings); // reported once, through the summary
        Assert.Equal(KernelState.Idle, (await _store.GetKernelAsync("a"))!.State);
    }

    [Fact]
    public async Task List_that_never_answers_fails_with_ProviderTimeout_within_the_budget()
    {
        await Remote("a");
        _gw.ListHangs = true;
        var pass = await PassAsync(new SyncOptions { ListBudget = TimeSpan.FromMilliseconds(200) });
        var summary = new SyncRunSummary();
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        Assert.False(await pass.ListAsync(summary, bound.Token));
        Assert.StartsWith(ErrorIds.ProviderTimeout, summary.FailedProviders["gw"]);
        Assert.Equal(SyncAction.Failed, One(pass, "a").Action);
    }

    [Fact]
    public async Task A_local_provider_is_not_listed_its_records_are_probed()
    {
        var local = new FakeProvider("local", "local");
        await _store.AddKernelAsync(Record("l1"));
        local.Probes["l1"] = new KernelProbe(KernelLiveness.Alive, "process and heartbeat alive");
        var pass = await PassAsync(new SyncOptions(), provider: local);

        await DecideAsync(pass);
        Assert.Equal(0, local.ListCalls);
        Assert.Equal(1, local.ProbeCalls);
        Assert.Equal(SyncAction.Kept, One(pass, "l1").Action);
    }

    [Fact]
    public async Task Gone_is_decided_without_writing_and_applied_as_Dead()
    {
        await Remote("gone");
        _gw.Probes["gone"] = new KernelProbe(KernelLiveness.Gone, "404 from the server");
        var pass = await PassAsync(new SyncOptions());

        await DecideAsync(pass);
        var decided = One(pass, "gone");
        Assert.Equal(SyncAction.MarkedDead, decided.Action);
        Assert.Contains("not in the provider's listing; 404 from the server", decided.Reason);
        Assert.Equal(KernelState.Idle, (await _store.GetKernelAsync("gone"))!.State); // decided, not written

        await pass.ApplyAsync(CancellationToken.None);
        Assert.Equal(KernelState.Dead, (await _store.GetKernelAsync("gone"))!.State);
        Assert.Single(_asked, a => a.Action == "Mark a kernel that is gone as dead");
    }

    [Fact]
    public async Task Gone_with_RemoveDead_removes_the_record_and_lets_the_provider_forget_it()
    {
        await Remote("gone");
        _gw.Probes["gone"] = new KernelProbe(KernelLiveness.Gone, "404");
        var pass = await PassAsync(new SyncOptions { RemoveDead = true });

        await DecideAsync(pass);
        Assert.Equal(SyncAction.Removed, One(pass, "gone").Action);
        Assert.Empty(_gw.Forgotten);
        await pass.ApplyAsync(CancellationToken.None);
        Assert.Null(await _store.GetKernelAsync("gone"));
        Assert.Equal(new[] { "gone" }, _gw.Forgotten);
    }

    [Fact]
    public async Task Gone_but_already_Dead_is_kept_and_not_asked_about()
    {
        await Remote("dead", KernelState.Dead);
        _gw.Probes["dead"] = new KernelProbe(KernelLiveness.Gone, "404");
        var pass = await PassAsync(new SyncOptions());

        await DecideAsync(pass);
        var result = One(pass, "dead");
        Assert.Equal(SyncAction.Kept, result.Action);
        Assert.StartsWith("already marked dead", result.Reason);
        Assert.Empty(_asked);
    }

    [Fact]
    public async Task Gone_but_not_confirmed_is_kept()
    {
        await Remote("gone");
        _gw.Probes["gone"] = new KernelProbe(KernelLiveness.Gone, "404");
        var pass = await PassAsync(new SyncOptions(), confirm: false);

        await DecideAsync(pass);
        await pass.ApplyAsync(CancellationToken.None);
        var result = One(pass, "gone");
        Assert.Equal(SyncAction.Kept, result.Action);
        Assert.StartsWith("not confirmed", result.Reason);
        Assert.Equal(KernelState.Idle, (await _store.GetKernelAsync("gone"))!.State);
    }

    [Fact]
    public async Task WhatIf_asks_reports_and_writes_nothing()
    {
        await Remote("gone");
        _gw.Probes["gone"] = new KernelProbe(KernelLiveness.Gone, "404");
        var pass = await PassAsync(new SyncOptions { WhatIf = true, RemoveDead = true });

        await DecideAsync(pass);
        await pass.ApplyAsync(CancellationToken.None);
        var result = One(pass, "gone");
        Assert.Equal(SyncAction.Removed, result.Action);
        Assert.True(result.WhatIf);
        Assert.Single(_asked);
        Assert.NotNull(await _store.GetKernelAsync("gone"));
        Assert.Empty(_gw.Forgotten);
    }

    [Fact]
    public async Task Unknown_liveness_and_a_failed_probe_keep_the_record()
    {
        await Remote("silent");
        await Remote("broken");
        _gw.Probes["silent"] = new KernelProbe(KernelLiveness.Unknown, "server unreachable");
        var failing = new ThrowingProbeProvider(_gw, "broken");
        var pass = await PassAsync(new SyncOptions(), provider: failing);

        await DecideAsync(pass);
        Assert.Equal(SyncAction.Kept, One(pass, "silent").Action);
        Assert.Contains("liveness unknown", One(pass, "silent").Reason);
        Assert.Equal(SyncAction.Kept, One(pass, "broken").Action);
        Assert.Contains("probe failed: probe exploded", One(pass, "broken").Reason);
        Assert.Equal(ErrorIds.KernelProbeFailed, Assert.Single(_warnings).WarningId);
    }

    [Fact]
    public async Task Alive_in_the_listing_updates_what_changed_and_keeps_what_did_not()
    {
        var activity = Now.AddSeconds(-10);
        await Remote("same", activity: activity);
        await Remote("changed", conns: 0);
        List("same", activity: activity);
        List("changed", KernelState.Busy, activity, conns: 2);
        var pass = await PassAsync(new SyncOptions());

        await DecideAsync(pass);
        Assert.Equal(0, _gw.ProbeCalls); // the listing answered for both
        Assert.Equal(SyncAction.Kept, One(pass, "same").Action);
        Assert.StartsWith("alive: listed by the provider", One(pass, "same").Reason);
        Assert.Equal(SyncAction.Updated, One(pass, "changed").Action);
        await pass.ApplyAsync(CancellationToken.None);
        var changed = (await _store.GetKernelAsync("changed"))!;
        Assert.Equal(KernelState.Busy, changed.State);
        Assert.Equal(2, changed.Connections);
        Assert.Equal(activity, changed.LastActivityAt);
    }

    [Fact]
    public async Task Alive_under_a_Restarting_record_whose_restart_never_said_so_is_Idle()
    {
        await Remote("r", KernelState.Restarting);
        _gw.Probes["r"] = new KernelProbe(KernelLiveness.Alive, "200"); // no state reported
        var pass = await PassAsync(new SyncOptions());

        await DecideAsync(pass);
        Assert.Equal(KernelState.Idle, One(pass, "r").State);
        await pass.ApplyAsync(CancellationToken.None);
        Assert.Equal(KernelState.Idle, (await _store.GetKernelAsync("r"))!.State);
    }

    [Fact]
    public async Task Adopt_records_a_listed_kernel_the_store_does_not_know_under_its_remote_id()
    {
        _gw.Listed.Add(new ProviderKernel("stranger", "python3") { State = KernelState.Idle });
        var pass = await PassAsync(new SyncOptions { Adopt = true });

        await DecideAsync(pass);
        var adopted = One(pass, "stranger");
        Assert.Equal(SyncAction.Adopted, adopted.Action);
        Assert.Null(await _store.GetKernelAsync("stranger"));
        await pass.ApplyAsync(CancellationToken.None);
        var record = (await _store.GetKernelAsync("stranger"))!;
        Assert.Equal("gw", record.Provider);
        Assert.Equal("stranger", record.RemoteId);
    }

    [Fact]
    public async Task Adopt_takes_a_new_id_when_the_remote_id_is_another_records_id()
    {
        await _store.AddKernelAsync(Record("taken", "other"));
        _gw.Listed.Add(new ProviderKernel("taken", "python3"));
        var pass = await PassAsync(new SyncOptions { Adopt = true });

        await DecideAsync(pass);
        var adopted = Assert.Single(pass.Results);
        Assert.Equal(SyncAction.Adopted, adopted.Action);
        Assert.NotEqual("taken", adopted.KernelId);
        await pass.ApplyAsync(CancellationToken.None);
        Assert.Equal("taken", (await _store.GetKernelAsync(adopted.KernelId))!.RemoteId);
    }

    [Fact]
    public async Task Without_Adopt_an_unknown_listed_kernel_is_left_alone()
    {
        _gw.Listed.Add(new ProviderKernel("stranger", "python3"));
        var pass = await PassAsync(new SyncOptions());

        await DecideAsync(pass);
        await pass.ApplyAsync(CancellationToken.None);
        Assert.Empty(pass.Results);
        Assert.Null(await _store.GetKernelAsync("stranger"));
    }

    [Fact]
    public async Task Cull_shuts_down_an_idle_kernel_and_removes_its_record_only_after_the_shutdown()
    {
        var old = Now.AddHours(-2);
        await Remote("idle", activity: old);
        List("idle", activity: old);
        var pass = await PassAsync(new SyncOptions { CullIdle = TimeSpan.FromHours(1) });

        Assert.True(await pass.ListAsync(new SyncRunSummary(), CancellationToken.None));
        await pass.RecoverStartsAsync(CancellationToken.None);
        await pass.ObserveAsync(CancellationToken.None);
        await pass.DecideAsync(Now, CancellationToken.None);
        Assert.Equal(SyncAction.Culled, One(pass, "idle").Action);
        Assert.Empty(_gw.ShutdownCalls); // decided; the shutdown is the cull step's
        await pass.CullAsync(CancellationToken.None);
        Assert.Equal(new[] { "idle" }, _gw.ShutdownCalls);
        Assert.NotNull(await _store.GetKernelAsync("idle"));
        await pass.ApplyAsync(CancellationToken.None);
        Assert.Null(await _store.GetKernelAsync("idle"));
    }

    [Fact]
    public async Task Cull_whose_shutdown_fails_reports_Failed_and_keeps_the_record()
    {
        var old = Now.AddHours(-2);
        await Remote("idle", activity: old);
        List("idle", activity: old);
        _gw.ShutdownError = new InvalidOperationException("server said 500");
        var pass = await PassAsync(new SyncOptions { CullIdle = TimeSpan.FromHours(1) });

        await DecideAsync(pass);
        await pass.ApplyAsync(CancellationToken.None);
        var result = One(pass, "idle");
        Assert.Equal(SyncAction.Failed, result.Action);
        Assert.Contains("server said 500", result.Reason);
        Assert.Equal(ErrorIds.KernelShutdownFailed, Assert.Single(_warnings).WarningId);
        Assert.NotNull(await _store.GetKernelAsync("idle"));
    }

    [Fact]
    public async Task Cull_keeps_a_kernel_that_is_busy_connected_or_recently_active()
    {
        var old = Now.AddHours(-2);
        await Remote("busy", activity: old);
        await Remote("connected", activity: old);
        await Remote("recent", activity: Now.AddMinutes(-5));
        List("busy", KernelState.Busy, old);
        List("connected", activity: old, conns: 1);
        List("recent", activity: Now.AddMinutes(-5));
        var pass = await PassAsync(new SyncOptions { CullIdle = TimeSpan.FromHours(1) });

        await DecideAsync(pass);
        Assert.Empty(_gw.ShutdownCalls);
        Assert.All(pass.Results, r => Assert.NotEqual(SyncAction.Culled, r.Action));
        Assert.Contains("busy per the provider", One(pass, "busy").Reason);
        Assert.Equal(KernelState.Busy, One(pass, "busy").State);
        Assert.Contains("1 open connection (-IncludeConnected culls it)", One(pass, "connected").Reason);
        Assert.Contains("within", One(pass, "recent").Reason);
    }

    [Fact]
    public async Task Cull_keeps_a_kernel_running_an_execution_of_a_live_process_unless_IncludeBusy()
    {
        var old = Now.AddHours(-2);
        await Remote("running", activity: old);
        List("running", activity: old);
        Assert.True(await _store.BeginExecutionAsync(new ExecutionInFlight("m1", "running", null, ExecutionOwners.ThisPid, ExecutionOwners.ThisStartTime, old)));

        var keep = await PassAsync(new SyncOptions { CullIdle = TimeSpan.FromHours(1) });
        await DecideAsync(keep);
        Assert.Equal(SyncAction.Kept, One(keep, "running").Action);
        Assert.Contains("execution m1", One(keep, "running").Reason);
        Assert.Equal(KernelState.Busy, One(keep, "running").State);

        var cull = await PassAsync(new SyncOptions { CullIdle = TimeSpan.FromHours(1), IncludeBusy = true });
        await DecideAsync(cull);
        Assert.Equal(SyncAction.Culled, One(cull, "running").Action);
        Assert.Contains("-IncludeBusy", One(cull, "running").Reason);
    }

    [Fact]
    public async Task Cull_of_a_local_kernel_asks_the_kernel_whether_it_runs_code()
    {
        var local = new FakeProvider("local", "local");
        var old = Now.AddHours(-2);
        await _store.AddKernelAsync(Record("quiet", lastActivity: old, connections: 0));
        await _store.AddKernelAsync(Record("working", lastActivity: old, connections: 0));
        await _store.AddKernelAsync(Record("mute", lastActivity: old, connections: 0));
        foreach (var id in new[] { "quiet", "working", "mute" }) local.Probes[id] = new KernelProbe(KernelLiveness.Alive, "heartbeat");
        local.Activity["quiet"] = new KernelActivityProbe(KernelActivity.Idle, "shell answered at once");
        local.Activity["working"] = new KernelActivityProbe(KernelActivity.Busy, "shell silent, control answers");
        var pass = await PassAsync(new SyncOptions { CullIdle = TimeSpan.FromHours(1) }, provider: local);

        await DecideAsync(pass);
        Assert.Equal(SyncAction.Culled, One(pass, "quiet").Action);
        Assert.Equal(SyncAction.Kept, One(pass, "working").Action);
        Assert.Contains("shell silent", One(pass, "working").Reason);
        Assert.Equal(SyncAction.Kept, One(pass, "mute").Action);
        Assert.Contains("cannot be established", One(pass, "mute").Reason);
        Assert.Equal(new[] { "quiet" }, local.ShutdownCalls);
    }

    [Fact]
    public async Task A_Starting_record_is_resolved_by_its_provider_and_never_probed()
    {
        await Remote("pending", KernelState.Starting);
        await Remote("done", KernelState.Starting);
        await Remote("failed", KernelState.Starting);
        await Remote("broken", KernelState.Starting);
        _gw.Recoveries["pending"] = new StartRecovery(StartRecoveryOutcome.InProgress, "its starter still runs");
        var completed = Record("done", "gw", KernelState.Idle, remoteId: "r-done");
        _gw.Recoveries["done"] = new StartRecovery(StartRecoveryOutcome.Completed, "the kernel answers", completed);
        _gw.Recoveries["failed"] = new StartRecovery(StartRecoveryOutcome.Abandoned, "its starter is gone and nothing answers");
        var failing = new ThrowingRecoveryProvider(_gw, "broken");
        var pass = await PassAsync(new SyncOptions(), provider: failing);

        await DecideAsync(pass);
        Assert.Equal(0, _gw.ProbeCalls);
        Assert.Equal(SyncAction.Kept, One(pass, "pending").Action);
        Assert.Equal("its starter still runs", One(pass, "pending").Reason);
        Assert.Equal(SyncAction.Adopted, One(pass, "done").Action);
        Assert.Equal(SyncAction.Removed, One(pass, "failed").Action);
        Assert.Equal(SyncAction.Kept, One(pass, "broken").Action);
        Assert.Contains("could not be resolved", One(pass, "broken").Reason);
        // The dry run first for every Starting record; the real one only for the abandoned start.
        Assert.Contains(("failed", false), _gw.RecoverCalls);
        Assert.DoesNotContain(("pending", false), _gw.RecoverCalls);

        await pass.ApplyAsync(CancellationToken.None);
        Assert.Equal(KernelState.Starting, (await _store.GetKernelAsync("pending"))!.State);
        Assert.Equal(KernelState.Idle, (await _store.GetKernelAsync("done"))!.State);
        Assert.Null(await _store.GetKernelAsync("failed"));
    }

    [Fact]
    public async Task An_abandoned_start_that_comes_alive_before_it_is_stopped_is_kept()
    {
        await Remote("late", KernelState.Starting);
        _gw.Recoveries["late"] = new StartRecovery(StartRecoveryOutcome.Abandoned, "nothing answers yet");
        _gw.RecoveriesApplied["late"] = new StartRecovery(StartRecoveryOutcome.InProgress, "its starter came back");
        var pass = await PassAsync(new SyncOptions());

        await DecideAsync(pass);
        await pass.ApplyAsync(CancellationToken.None);
        Assert.Equal(SyncAction.Kept, One(pass, "late").Action);
        Assert.NotNull(await _store.GetKernelAsync("late"));
    }

    [Fact]
    public async Task A_stale_execution_row_is_cleared_and_said_so_under_WhatIf_it_stays()
    {
        await Remote("a");
        List("a");
        // This process's pid with a start time long before it: a later process owns the pid now, so the owner is gone.
        var stale = new ExecutionInFlight("m-stale", "a", null, ExecutionOwners.ThisPid, DateTimeOffset.UnixEpoch, Now.AddMinutes(-30));
        Assert.True(await _store.BeginExecutionAsync(stale));

        var whatIf = await PassAsync(new SyncOptions { WhatIf = true });
        await DecideAsync(whatIf);
        await whatIf.ClearStaleExecutionsAsync(CancellationToken.None);
        Assert.StartsWith("would clear stale record of execution m-stale", One(whatIf, "a").Reason);
        Assert.Single(await _store.ListExecutionsAsync("a"));

        var pass = await PassAsync(new SyncOptions());
        await DecideAsync(pass);
        await pass.ClearStaleExecutionsAsync(CancellationToken.None);
        Assert.Equal(SyncAction.Updated, One(pass, "a").Action);
        Assert.StartsWith("cleared stale record of execution m-stale", One(pass, "a").Reason);
        Assert.Empty(await _store.ListExecutionsAsync("a"));
    }

    [Fact]
    public async Task Apply_reports_a_record_another_process_removed_meanwhile_and_does_not_bring_it_back()
    {
        await Remote("gone");
        _gw.Probes["gone"] = new KernelProbe(KernelLiveness.Gone, "404");
        var pass = await PassAsync(new SyncOptions());

        await DecideAsync(pass);
        Assert.True(await _store.RemoveKernelAsync("gone"));
        await pass.ApplyAsync(CancellationToken.None);
        var result = One(pass, "gone");
        Assert.Equal(SyncAction.Kept, result.Action);
        Assert.Equal("the record was removed by another process meanwhile", result.Reason);
        Assert.Null(await _store.GetKernelAsync("gone"));
    }

    /// <summary>The scripted provider, except that probing one record throws.</summary>
    private sealed class ThrowingProbeProvider(FakeProvider inner, string failingId) : ForwardingProvider(inner)
    {
        public override Task<KernelProbe> ProbeAsync(KernelRecord kernel, CancellationToken cancellationToken)
            => kernel.Id == failingId ? throw new InvalidOperationException("probe exploded") : base.ProbeAsync(kernel, cancellationToken);
    }

    /// <summary>The scripted provider, except that resolving one record's start throws.</summary>
    private sealed class ThrowingRecoveryProvider(FakeProvider inner, string failingId) : ForwardingProvider(inner)
    {
        public override Task<StartRecovery?> RecoverStartAsync(KernelRecord kernel, bool dryRun, CancellationToken cancellationToken)
            => kernel.Id == failingId ? throw new IOException("starter file unreadable") : base.RecoverStartAsync(kernel, dryRun, cancellationToken);
    }

    private abstract class ForwardingProvider(FakeProvider inner) : IKernelProvider
    {
        public string Name => inner.Name;
        public string Kind => inner.Kind;
        public Task<ProviderKernelListing> ListKernelsAsync(CancellationToken cancellationToken) => inner.ListKernelsAsync(cancellationToken);
        public virtual Task<KernelProbe> ProbeAsync(KernelRecord kernel, CancellationToken cancellationToken) => inner.ProbeAsync(kernel, cancellationToken);
        public virtual Task<StartRecovery?> RecoverStartAsync(KernelRecord kernel, bool dryRun, CancellationToken cancellationToken)
            => inner.RecoverStartAsync(kernel, dryRun, cancellationToken);
        public Task ShutdownAsync(KernelRecord kernel, bool now, CancellationToken cancellationToken) => inner.ShutdownAsync(kernel, now, cancellationToken);
        public Task ForgetAsync(KernelRecord kernel, CancellationToken cancellationToken) => inner.ForgetAsync(kernel, cancellationToken);
        public Task<IReadOnlyList<KernelSpec>> GetKernelSpecsAsync(bool refresh, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<KernelRecord> StartKernelAsync(KernelStartRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<JupyterKernels.Connections.IKernelChannels> ConnectAsync(KernelRecord kernel, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task InterruptAsync(KernelRecord kernel, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<KernelRecord> RestartAsync(KernelRecord kernel, CancellationToken cancellationToken) => throw new NotSupportedException();
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
