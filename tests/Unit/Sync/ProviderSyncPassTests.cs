using JupyterKernels.Providers;
using JupyterKernels.Store;
using JupyterKernels.Sync;
using JupyterKernels.Tests.Support;
using static JupyterKernels.Tests.Support.StoreTestUtil;

namespace JupyterKernels.Tests.Sync;

/// <summary>
/// <see cref="ProviderSyncPass"/> one step at a time, over a real SQLite store and a scripted provider: what each step
/// plans (gone, alive, unknown, adopt, cull, an interrupted start, stale executions), that planning writes nothing and
/// shuts nothing down, and that <see cref="SyncApplier"/> carries the confirmed steps out (or says another process got
/// there first). The whole plan-confirm-apply of several changes at once is <see cref="SyncPlanApplyTests"/>'.
/// </summary>
public sealed class ProviderSyncPassTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly TempDirectory _dir = new("jk-pass");
    private readonly FakeProvider _gw = new("gw");
    private readonly RecordingObserver _observer = new();
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

    private void List(string id, KernelState state = KernelState.Idle, DateTimeOffset? activity = null, int conns = 0, FakeProvider? provider = null) =>
        (provider ?? _gw).Listed.Add(new ProviderKernel("r-" + id, "python3") { State = state, LastActivity = activity ?? Now.AddMinutes(-1), Connections = conns });

    /// <summary>One provider's pass with what the synchronizer hands it, and what applying its steps needs.</summary>
    private sealed class Pass(ProviderSyncPass pass, SyncOptions options, List<SyncQuestion> questions)
    {
        public ProviderSyncPass Steps => pass;
        public SyncOptions Options => options;
        public List<SyncQuestion> Questions => questions;
        public SyncStep Step(string id) => Assert.Single(pass.Steps, s => s.Record.Id == id);
        /// <summary>What the plan says the step comes to if confirmed.</summary>
        public SyncResult Planned(string id) => Step(id).Planned.Result;
    }

    private async Task<Pass> PassAsync(SyncOptions options, IKernelProvider? provider = null)
    {
        provider ??= _gw;
        var records = (await _store.ListKernelsAsync(provider.Name)).ToList();
        var executions = (await _store.ListExecutionsAsync()).GroupBy(e => e.KernelId).ToDictionary(g => g.Key, g => g.ToList());
        var questions = new List<SyncQuestion>();
        var pass = new ProviderSyncPass(_store, provider, records, executions, options, _observer, questions,
            new HashSet<string>(StringComparer.Ordinal), parallelism: 4);
        return new Pass(pass, options, questions);
    }

    /// <summary>Every planning step, in the synchronizer's order; nothing applied.</summary>
    private async Task<Pass> PlanAsync(SyncOptions options, IKernelProvider? provider = null)
    {
        var p = await PassAsync(options, provider);
        var pass = p.Steps;
        Assert.True(await pass.ListAsync(CancellationToken.None));
        await pass.RecoverStartsAsync(CancellationToken.None);
        await pass.ObserveAsync(CancellationToken.None);
        await pass.DecideAsync(Now, CancellationToken.None);
        pass.PlanStarts();
        await pass.AdoptAsync(Now, CancellationToken.None);
        pass.FindStaleExecutions();
        return p;
    }

    /// <summary>Confirms the pass's steps (each question answered <paramref name="confirm"/>) and applies them.</summary>
    private async Task<IReadOnlyList<SyncResult>> ApplyAsync(Pass p, bool confirm = true)
    {
        var pending = await PendingSessionResolution.FindAsync(_store, await _store.ListKernelsAsync(null), CancellationToken.None);
        var plan = new SyncPlan(p.Options, p.Steps.Steps, p.Questions, pending);
        plan.Confirm((target, action) => { _asked.Add((target, action)); return confirm; });
        return await new SyncApplier(_store, plan, _observer, parallelism: 4).ApplyAsync(CancellationToken.None);
    }

    private static SyncResult One(IReadOnlyList<SyncResult> results, string id) => Assert.Single(results, r => r.KernelId == id);

    [Fact]
    public async Task List_that_fails_ends_the_pass_with_every_record_Failed_and_unchanged()
    {
        await Remote("a");
        _gw.ListError = new HttpRequestException("connection refused");
        var p = await PassAsync(new SyncOptions());

        Assert.False(await p.Steps.ListAsync(CancellationToken.None));
        var result = p.Planned("a");
        Assert.Equal(SyncAction.Failed, result.Action);
        Assert.Contains("connection refused", result.Reason);
        var failure = Assert.Single(_observer.Failed); // reported once, there, and not as a warning
        Assert.Equal(ErrorIds.SyncProviderFailed, failure.ErrorId);
        Assert.Equal("gw", failure.Target);
        Assert.Contains("connection refused", failure.Message);
        Assert.Empty(_observer.Warnings);
        Assert.Empty(p.Questions);

        Assert.Equal(SyncAction.Failed, One(await ApplyAsync(p), "a").Action);
        Assert.Equal(KernelState.Idle, (await _store.GetKernelAsync("a"))!.State);
    }

    [Fact]
    public async Task List_that_never_answers_fails_with_ProviderTimeout_within_the_budget()
    {
        await Remote("a");
        _gw.ListHangs = true;
        var p = await PassAsync(new SyncOptions { ListBudget = TimeSpan.FromMilliseconds(200) });
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        Assert.False(await p.Steps.ListAsync(bound.Token));
        var failure = Assert.Single(_observer.Failed);
        Assert.Equal(ErrorIds.ProviderTimeout, Assert.IsType<KernelException>(failure.InnerException).ErrorId);
        Assert.Equal(SyncAction.Failed, p.Planned("a").Action);
        Assert.Contains(ErrorIds.ProviderTimeout, p.Planned("a").Reason);
    }

    [Fact]
    public async Task A_local_provider_is_not_listed_its_records_are_probed()
    {
        var local = FakeProvider.Local();
        await _store.AddKernelAsync(Record("l1"));
        local.Probes["l1"] = new KernelProbe(KernelLiveness.Alive, "process and heartbeat alive");

        var p = await PlanAsync(new SyncOptions(), local);
        Assert.Equal(0, local.ListCalls);
        Assert.Equal(1, local.ProbeCalls);
        Assert.Equal(SyncAction.Kept, p.Planned("l1").Action);
        Assert.Equal("alive: process and heartbeat alive", p.Planned("l1").Reason);
    }

    [Fact]
    public async Task The_pass_asks_the_providers_capabilities_not_its_kind()
    {
        // Kind "local" without ProbesEachKernel is listed; another kind that declares it is probed, not listed.
        var namedLocal = new FakeProvider("gw", "local");
        await Remote("a");
        List("a", provider: namedLocal);
        var listed = await PlanAsync(new SyncOptions(), namedLocal);
        Assert.Equal(1, namedLocal.ListCalls);
        Assert.Equal(0, namedLocal.ProbeCalls);
        Assert.Equal("alive: listed by the provider", listed.Planned("a").Reason);

        var probing = new FakeProvider("gw", "gateway", ProviderCapabilities.ProbesEachKernel);
        probing.Probes["a"] = new KernelProbe(KernelLiveness.Alive, "heartbeat");
        var probed = await PlanAsync(new SyncOptions(), probing);
        Assert.Equal(0, probing.ListCalls);
        Assert.Equal(1, probing.ProbeCalls);
        Assert.Equal("alive: heartbeat", probed.Planned("a").Reason);
    }

    [Fact]
    public async Task A_provider_that_probes_each_kernel_is_planned_first()
    {
        // "a" sorts first by name; "z" declares ProbesEachKernel (and is not of kind "local"), so its steps come first.
        var listing = new FakeProvider("a");
        var probing = new FakeProvider("z", "gateway", ProviderCapabilities.ProbesEachKernel);
        await _store.AddKernelAsync(Record("k-a", "a", remoteId: "r-k-a"));
        await _store.AddKernelAsync(Record("k-z", "z"));
        List("k-a", provider: listing);
        probing.Probes["k-z"] = new KernelProbe(KernelLiveness.Alive, "heartbeat");
        var sync = new Synchronizer(_store, new Dictionary<string, IKernelProvider> { ["a"] = listing, ["z"] = probing });

        var plan = await sync.PlanAsync(new SyncOptions(), _observer, CancellationToken.None);
        Assert.Equal(new[] { "k-z", "k-a" }, plan.Steps.Select(s => s.Record.Id));
    }

    [Fact]
    public async Task Gone_is_planned_without_writing_and_applied_as_Dead()
    {
        await Remote("gone");
        _gw.Probes["gone"] = new KernelProbe(KernelLiveness.Gone, "404 from the server");

        var p = await PlanAsync(new SyncOptions());
        var planned = p.Planned("gone");
        Assert.Equal(SyncAction.MarkedDead, planned.Action);
        Assert.Contains("not in the provider's listing; 404 from the server", planned.Reason);
        Assert.Equal("Mark a kernel that is gone as dead", Assert.Single(p.Questions).Question);
        Assert.Equal(KernelState.Idle, (await _store.GetKernelAsync("gone"))!.State); // planned, not written

        Assert.Equal(SyncAction.MarkedDead, One(await ApplyAsync(p), "gone").Action);
        Assert.Equal(KernelState.Dead, (await _store.GetKernelAsync("gone"))!.State);
        Assert.Equal(new[] { ("kernel gone (gw)", "Mark a kernel that is gone as dead") }, _asked);
    }

    [Fact]
    public async Task Gone_with_RemoveDead_removes_the_record_and_then_lets_the_provider_forget_it()
    {
        await Remote("gone");
        _gw.Probes["gone"] = new KernelProbe(KernelLiveness.Gone, "404");

        var p = await PlanAsync(new SyncOptions { RemoveDead = true });
        Assert.Equal(SyncAction.Removed, p.Planned("gone").Action);
        Assert.Equal(new StoreWrite.Remove("gone", Forget: true), p.Step("gone").Planned.Write);
        Assert.Empty(_gw.Forgotten);
        Assert.NotNull(await _store.GetKernelAsync("gone"));

        Assert.Equal(SyncAction.Removed, One(await ApplyAsync(p), "gone").Action);
        Assert.Null(await _store.GetKernelAsync("gone"));
        Assert.Equal(new[] { "gone" }, _gw.Forgotten);
    }

    [Fact]
    public async Task Gone_but_already_Dead_is_kept_and_not_asked_about()
    {
        await Remote("dead", KernelState.Dead);
        _gw.Probes["dead"] = new KernelProbe(KernelLiveness.Gone, "404");

        var p = await PlanAsync(new SyncOptions());
        var planned = p.Planned("dead");
        Assert.Equal(SyncAction.Kept, planned.Action);
        Assert.StartsWith("already marked dead", planned.Reason);
        Assert.Null(p.Step("dead").Question);
        Assert.Empty(p.Questions);
        await ApplyAsync(p);
        Assert.Empty(_asked);
    }

    [Fact]
    public async Task Gone_but_not_confirmed_is_kept_and_nothing_is_written()
    {
        await Remote("gone");
        _gw.Probes["gone"] = new KernelProbe(KernelLiveness.Gone, "404");

        var p = await PlanAsync(new SyncOptions());
        var result = One(await ApplyAsync(p, confirm: false), "gone");
        Assert.Equal(SyncAction.Kept, result.Action);
        Assert.StartsWith("not confirmed", result.Reason);
        Assert.Equal(KernelState.Idle, (await _store.GetKernelAsync("gone"))!.State);
    }

    [Fact]
    public async Task WhatIf_RemoveDead_asks_reports_and_neither_removes_nor_forgets()
    {
        await Remote("gone");
        _gw.Probes["gone"] = new KernelProbe(KernelLiveness.Gone, "404");

        var p = await PlanAsync(new SyncOptions { WhatIf = true, RemoveDead = true });
        var result = One(await ApplyAsync(p), "gone");
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

        var p = await PlanAsync(new SyncOptions(), failing);
        Assert.Equal(SyncAction.Kept, p.Planned("silent").Action);
        Assert.Contains("liveness unknown", p.Planned("silent").Reason);
        Assert.Equal(SyncAction.Kept, p.Planned("broken").Action);
        Assert.Contains("probe failed: probe exploded", p.Planned("broken").Reason);
        Assert.Null(p.Step("broken").Planned.Write);
        Assert.Equal(ErrorIds.KernelProbeFailed, Assert.Single(_observer.Warnings).WarningId);
        Assert.Empty(p.Questions);
    }

    [Fact]
    public async Task Alive_in_the_listing_updates_what_changed_and_keeps_what_did_not()
    {
        var activity = Now.AddSeconds(-10);
        await Remote("same", activity: activity);
        await Remote("changed", conns: 0);
        List("same", activity: activity);
        List("changed", KernelState.Busy, activity, conns: 2);

        var p = await PlanAsync(new SyncOptions());
        Assert.Equal(0, _gw.ProbeCalls); // the listing answered for both
        Assert.Equal(SyncAction.Kept, p.Planned("same").Action);
        Assert.StartsWith("alive: listed by the provider", p.Planned("same").Reason);
        Assert.Equal(SyncAction.Updated, p.Planned("changed").Action);
        Assert.Empty(p.Questions); // bookkeeping, never asked
        Assert.Equal(KernelState.Idle, (await _store.GetKernelAsync("changed"))!.State);

        await ApplyAsync(p);
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

        var p = await PlanAsync(new SyncOptions());
        Assert.Equal(KernelState.Idle, p.Planned("r").State);
        Assert.Equal(SyncAction.Updated, p.Planned("r").Action);
        await ApplyAsync(p);
        Assert.Equal(KernelState.Idle, (await _store.GetKernelAsync("r"))!.State);
    }

    [Fact]
    public async Task Adopt_records_a_listed_kernel_the_store_does_not_know_under_its_remote_id()
    {
        _gw.Listed.Add(new ProviderKernel("stranger", "python3") { State = KernelState.Idle });

        var p = await PlanAsync(new SyncOptions { Adopt = true });
        Assert.Equal(SyncAction.Adopted, p.Planned("stranger").Action);
        Assert.Equal("Adopt a kernel the provider runs but the store does not know", Assert.Single(p.Questions).Question);
        Assert.Null(await _store.GetKernelAsync("stranger"));

        Assert.Equal(SyncAction.Adopted, One(await ApplyAsync(p), "stranger").Action);
        var record = (await _store.GetKernelAsync("stranger"))!;
        Assert.Equal("gw", record.Provider);
        Assert.Equal("stranger", record.RemoteId);
    }

    [Fact]
    public async Task Adopt_takes_a_new_id_when_the_remote_id_is_another_records_id()
    {
        await _store.AddKernelAsync(Record("taken", "other"));
        _gw.Listed.Add(new ProviderKernel("taken", "python3"));

        var p = await PlanAsync(new SyncOptions { Adopt = true });
        var adopted = Assert.Single(p.Steps.Steps).Planned.Result;
        Assert.Equal(SyncAction.Adopted, adopted.Action);
        Assert.NotEqual("taken", adopted.KernelId);

        await ApplyAsync(p);
        Assert.Equal("taken", (await _store.GetKernelAsync(adopted.KernelId))!.RemoteId);
        Assert.Equal("other", (await _store.GetKernelAsync("taken"))!.Provider);
    }

    [Fact]
    public async Task Without_Adopt_an_unknown_listed_kernel_is_left_alone()
    {
        _gw.Listed.Add(new ProviderKernel("stranger", "python3"));

        var p = await PlanAsync(new SyncOptions());
        Assert.Empty(p.Steps.Steps);
        Assert.Empty(await ApplyAsync(p));
        Assert.Null(await _store.GetKernelAsync("stranger"));
    }

    [Fact]
    public async Task Cull_shuts_down_an_idle_kernel_only_when_applied_and_then_removes_its_record()
    {
        var old = Now.AddHours(-2);
        await Remote("idle", activity: old);
        List("idle", activity: old);

        var p = await PlanAsync(new SyncOptions { CullIdle = TimeSpan.FromHours(1) });
        var step = p.Step("idle");
        Assert.Equal(SyncAction.Culled, step.Planned.Result.Action);
        Assert.Equal(ProviderAction.Shutdown, step.Planned.Action);
        Assert.Equal(SyncAction.Kept, step.Declined!.Result.Action); // declined: only the bookkeeping update
        Assert.Empty(_gw.ShutdownCalls); // planned; the shutdown is the apply's
        Assert.NotNull(await _store.GetKernelAsync("idle"));

        Assert.Equal(SyncAction.Culled, One(await ApplyAsync(p), "idle").Action);
        Assert.Equal(new[] { "idle" }, _gw.ShutdownCalls);
        Assert.Null(await _store.GetKernelAsync("idle"));
        Assert.Empty(_gw.Forgotten); // a cull's record goes; the provider shut the kernel down itself
    }

    [Fact]
    public async Task Cull_whose_shutdown_fails_reports_Failed_and_keeps_the_record()
    {
        var old = Now.AddHours(-2);
        await Remote("idle", activity: old);
        List("idle", activity: old);
        _gw.ShutdownError = new InvalidOperationException("server said 500");

        var p = await PlanAsync(new SyncOptions { CullIdle = TimeSpan.FromHours(1) });
        var result = One(await ApplyAsync(p), "idle");
        Assert.Equal(SyncAction.Failed, result.Action);
        Assert.Contains("server said 500", result.Reason);
        Assert.Equal(ErrorIds.KernelShutdownFailed, Assert.Single(_observer.Warnings).WarningId);
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

        var p = await PlanAsync(new SyncOptions { CullIdle = TimeSpan.FromHours(1) });
        Assert.All(p.Steps.Steps, s => Assert.NotEqual(SyncAction.Culled, s.Planned.Result.Action));
        Assert.Empty(p.Questions);
        Assert.Contains("busy per the provider", p.Planned("busy").Reason);
        Assert.Equal(KernelState.Busy, p.Planned("busy").State);
        Assert.Contains("1 open connection (-IncludeConnected culls it)", p.Planned("connected").Reason);
        Assert.Contains("within", p.Planned("recent").Reason);
        await ApplyAsync(p);
        Assert.Empty(_gw.ShutdownCalls);
        Assert.Equal(3, (await _store.ListKernelsAsync("gw")).Count);
    }

    [Fact]
    public async Task Cull_never_takes_a_kernel_still_starting_however_old_its_record()
    {
        // Recorded long ago, no activity known, and its server says it is starting (a slow start, or a restart under
        // way): it has not been ready for a moment, let alone idle for an hour.
        await _store.AddKernelAsync(Record("slow", "gw", KernelState.Idle, remoteId: "r-slow", created: Now.AddHours(-2)));
        _gw.Listed.Add(new ProviderKernel("r-slow", "python3") { State = KernelState.Starting, Connections = 0 });

        var p = await PlanAsync(new SyncOptions { CullIdle = TimeSpan.FromHours(1), IncludeBusy = true });
        Assert.NotEqual(SyncAction.Culled, p.Planned("slow").Action);
        Assert.Contains("still starting", p.Planned("slow").Reason);
        Assert.Empty(p.Questions);
    }

    [Fact]
    public async Task Cull_keeps_a_kernel_running_an_execution_of_a_live_process_unless_IncludeBusy()
    {
        var old = Now.AddHours(-2);
        await Remote("running", activity: old);
        List("running", activity: old);
        Assert.True(await _store.BeginExecutionAsync(new ExecutionInFlight("m1", "running", null, ExecutionOwners.ThisPid, ExecutionOwners.ThisStartTime, old)));

        var keep = await PlanAsync(new SyncOptions { CullIdle = TimeSpan.FromHours(1) });
        Assert.Equal(SyncAction.Kept, keep.Planned("running").Action);
        Assert.Contains("execution m1", keep.Planned("running").Reason);
        Assert.Equal(KernelState.Busy, keep.Planned("running").State);
        Assert.Empty(keep.Step("running").StaleExecutions); // its owner lives

        var cull = await PlanAsync(new SyncOptions { CullIdle = TimeSpan.FromHours(1), IncludeBusy = true });
        Assert.Equal(SyncAction.Culled, cull.Planned("running").Action);
        Assert.Contains("-IncludeBusy", cull.Planned("running").Reason);
        Assert.Equal(SyncAction.Culled, One(await ApplyAsync(cull), "running").Action);
        Assert.Equal(new[] { "running" }, _gw.ShutdownCalls);
    }

    [Fact]
    public async Task Cull_of_a_local_kernel_asks_the_kernel_whether_it_runs_code()
    {
        var local = FakeProvider.Local();
        var old = Now.AddHours(-2);
        await _store.AddKernelAsync(Record("quiet", lastActivity: old, connections: 0));
        await _store.AddKernelAsync(Record("working", lastActivity: old, connections: 0));
        await _store.AddKernelAsync(Record("mute", lastActivity: old, connections: 0));
        foreach (var id in new[] { "quiet", "working", "mute" }) local.Probes[id] = new KernelProbe(KernelLiveness.Alive, "heartbeat");
        local.Activity["quiet"] = new KernelActivityProbe(KernelActivity.Idle, "shell answered at once");
        local.Activity["working"] = new KernelActivityProbe(KernelActivity.Busy, "shell silent, control answers");

        var p = await PlanAsync(new SyncOptions { CullIdle = TimeSpan.FromHours(1) }, local);
        Assert.Equal(SyncAction.Culled, p.Planned("quiet").Action);
        Assert.Contains("shell answered at once", p.Planned("quiet").Reason);
        Assert.Equal(SyncAction.Kept, p.Planned("working").Action);
        Assert.Contains("shell silent", p.Planned("working").Reason);
        Assert.Equal(SyncAction.Kept, p.Planned("mute").Action);
        Assert.Contains("cannot be established", p.Planned("mute").Reason);
        Assert.Empty(local.ShutdownCalls);

        await ApplyAsync(p);
        Assert.Equal(new[] { "quiet" }, local.ShutdownCalls);
        Assert.Equal(new[] { "mute", "working" }, (await _store.ListKernelsAsync("local")).Select(k => k.Id).Order());
    }

    [Fact]
    public async Task Cull_keeps_a_kernel_other_clients_are_connected_to_as_its_provider_sees_them()
    {
        // The provider that asks its kernels also says who else is connected (local: processes on the kernel's ports);
        // such a kernel is kept without being asked, and -IncludeConnected goes on to ask it.
        var local = FakeProvider.Local();
        var old = Now.AddHours(-2);
        await _store.AddKernelAsync(Record("shared", lastActivity: old, connections: 0));
        local.Probes["shared"] = new KernelProbe(KernelLiveness.Alive, "heartbeat");
        local.OtherClients["shared"] = new[] { "process 4242 (jupyter-console)" };
        local.Activity["shared"] = new KernelActivityProbe(KernelActivity.Idle, "shell answered at once");

        var kept = await PlanAsync(new SyncOptions { CullIdle = TimeSpan.FromHours(1) }, local);
        Assert.Equal(SyncAction.Kept, kept.Planned("shared").Action);
        Assert.Contains("1 other client connected to its ports (process 4242 (jupyter-console))", kept.Planned("shared").Reason);

        var culled = await PlanAsync(new SyncOptions { CullIdle = TimeSpan.FromHours(1), IncludeConnected = true }, local);
        Assert.Equal(SyncAction.Culled, culled.Planned("shared").Action);
        Assert.Contains("shell answered at once", culled.Planned("shared").Reason);
    }

    [Fact]
    public async Task Cull_asks_the_kernel_only_when_the_provider_declares_it_can()
    {
        // Same listing, same idle kernel: a provider without IProbesActivity goes by its own report (culled);
        // one that declares it is asked, and the kernel's answer (busy) keeps it.
        var old = Now.AddHours(-2);
        await Remote("k", activity: old);
        List("k", activity: old);
        _gw.Activity["k"] = new KernelActivityProbe(KernelActivity.Busy, "shell silent, control answers");
        var byReport = await PlanAsync(new SyncOptions { CullIdle = TimeSpan.FromHours(1) });
        Assert.Equal(SyncAction.Culled, byReport.Planned("k").Action);
        Assert.Contains("the provider reports it idle", byReport.Planned("k").Reason);

        var asking = FakeProvider.AskingActivity("gw");
        asking.Listed.AddRange(_gw.Listed);
        asking.Activity["k"] = _gw.Activity["k"];
        var asked = await PlanAsync(new SyncOptions { CullIdle = TimeSpan.FromHours(1) }, asking);
        Assert.Equal(SyncAction.Kept, asked.Planned("k").Action);
        Assert.Contains("busy: shell silent, control answers", asked.Planned("k").Reason);
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

        var p = await PlanAsync(new SyncOptions(), failing);
        Assert.Equal(0, _gw.ProbeCalls);
        Assert.Equal(SyncAction.Kept, p.Planned("pending").Action);
        Assert.Equal("its starter still runs", p.Planned("pending").Reason);
        Assert.Equal(SyncAction.Adopted, p.Planned("done").Action);
        Assert.Equal(SyncAction.Removed, p.Planned("failed").Action);
        Assert.Equal(ProviderAction.StopAbandonedStart, p.Step("failed").Planned.Action);
        Assert.Equal(SyncAction.Kept, p.Planned("broken").Action);
        Assert.Contains("could not be resolved", p.Planned("broken").Reason);
        // Planning asks only the dry run: nothing is stopped yet.
        Assert.All(_gw.RecoverCalls, c => Assert.True(c.DryRun));

        var results = await ApplyAsync(p);
        // The real one only for the abandoned start, when applied.
        Assert.Equal(new[] { "failed" }, _gw.RecoverCalls.Where(c => !c.DryRun).Select(c => c.Id));
        Assert.Equal(SyncAction.Removed, One(results, "failed").Action);
        Assert.Equal(KernelState.Starting, (await _store.GetKernelAsync("pending"))!.State);
        Assert.Equal(KernelState.Idle, (await _store.GetKernelAsync("done"))!.State);
        Assert.Null(await _store.GetKernelAsync("failed"));
        Assert.Equal(KernelState.Starting, (await _store.GetKernelAsync("broken"))!.State);
    }

    [Fact]
    public async Task An_abandoned_start_that_comes_alive_before_it_is_stopped_is_kept()
    {
        await Remote("late", KernelState.Starting);
        _gw.Recoveries["late"] = new StartRecovery(StartRecoveryOutcome.Abandoned, "nothing answers yet");
        _gw.RecoveriesApplied["late"] = new StartRecovery(StartRecoveryOutcome.InProgress, "its starter came back");

        var p = await PlanAsync(new SyncOptions());
        Assert.Equal(SyncAction.Removed, p.Planned("late").Action);
        var result = One(await ApplyAsync(p), "late");
        Assert.Equal(SyncAction.Kept, result.Action);
        Assert.Equal("its starter came back", result.Reason);
        Assert.NotNull(await _store.GetKernelAsync("late"));
        Assert.Empty(_gw.Forgotten);
    }

    [Fact]
    public async Task A_stale_execution_row_is_planned_with_its_record_cleared_when_applied_and_kept_under_WhatIf()
    {
        await Remote("a");
        List("a");
        // This process's pid with a start time long before it: a later process owns the pid now, so the owner is gone.
        var stale = new ExecutionInFlight("m-stale", "a", null, ExecutionOwners.ThisPid, DateTimeOffset.UnixEpoch, Now.AddMinutes(-30));
        Assert.True(await _store.BeginExecutionAsync(stale));

        var whatIf = await PlanAsync(new SyncOptions { WhatIf = true });
        Assert.Equal("m-stale", Assert.Single(whatIf.Step("a").StaleExecutions).MsgId);
        var said = One(await ApplyAsync(whatIf), "a");
        Assert.StartsWith("would clear stale record of execution m-stale", said.Reason);
        Assert.Single(await _store.ListExecutionsAsync("a"));

        var p = await PlanAsync(new SyncOptions());
        Assert.Single(await _store.ListExecutionsAsync("a")); // planned, not cleared
        var result = One(await ApplyAsync(p), "a");
        Assert.Equal(SyncAction.Updated, result.Action);
        Assert.StartsWith("cleared stale record of execution m-stale", result.Reason);
        Assert.Empty(await _store.ListExecutionsAsync("a"));
    }

    [Fact]
    public async Task Apply_reports_a_record_another_process_removed_meanwhile_and_does_not_bring_it_back()
    {
        await Remote("gone");
        _gw.Probes["gone"] = new KernelProbe(KernelLiveness.Gone, "404");

        var p = await PlanAsync(new SyncOptions());
        Assert.True(await _store.RemoveKernelAsync("gone"));
        var result = One(await ApplyAsync(p), "gone");
        Assert.Equal(SyncAction.Kept, result.Action);
        Assert.Equal("the record was removed by another process meanwhile", result.Reason);
        Assert.Null(await _store.GetKernelAsync("gone"));
    }

    private sealed class RecordingObserver : ISyncObserver
    {
        public List<KernelWarning> Warnings { get; } = new();
        public List<KernelException> Failed { get; } = new();
        public void Progress(string activity) { }
        public void Warning(KernelWarning warning) { lock (Warnings) Warnings.Add(warning); }
        public void ProviderFailed(KernelException failure) { lock (Failed) Failed.Add(failure); }
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

    private abstract class ForwardingProvider(FakeProvider inner) : IKernelProvider, IRecoversStarts, IKeepsKernelFiles
    {
        public string Name => inner.Name;
        public string Kind => inner.Kind;
        public ProviderCapabilities Capabilities => inner.Capabilities;
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
        public Task<IReadOnlyList<string>> SaveKernelSpecResourcesAsync(string specName, string folder, CancellationToken cancellationToken) => throw new NotSupportedException();
        public ProviderKernelView Describe(KernelRecord kernel) => inner.Describe(kernel);
        public JupyterKernels.Connections.KernelClientOptions GetClientOptions(KernelRecord kernel) => inner.GetClientOptions(kernel);
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
