using System.Diagnostics;
using JupyterKernels.Providers;
using JupyterKernels.Service;
using JupyterKernels.Store;
using JupyterKernels.Sync;
using JupyterKernels.TestSupport;
using static JupyterKernels.Tests.Support.StoreTestUtil;
using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.Sync;

public class SynchronizerTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private KernelStore _store = null!;
    private readonly FakeProvider _gw = new("gw");
    private readonly FakeProvider _local = FakeProvider.Local();
    private readonly List<KernelWarning> _warnings = new();

    public async Task InitializeAsync() => _store = await KernelStore.OpenAsync(_dir.File("jk.db"));
    public async Task DisposeAsync() { await _store.DisposeAsync(); _dir.Dispose(); }

    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    /// <summary>What one run reported: its observer's failed providers and progress, and the results counted by action.</summary>
    private sealed record RunSummary(IReadOnlyDictionary<string, string> FailedProviders, IReadOnlyList<string> Progress, IReadOnlyList<SyncResult> Results)
    {
        public int Count(SyncAction action) => Results.Count(r => r.Action == action);
        /// <summary>A provider failed or a record's action failed (e.g. a cull's shutdown).</summary>
        public bool HasFailures => FailedProviders.Count > 0 || Count(SyncAction.Failed) > 0;
    }

    private async Task<(List<SyncResult> Results, RunSummary Summary)> Run(SyncOptions options, Func<string, string, bool>? shouldProcess = null)
    {
        var sync = new Synchronizer(_store, new Dictionary<string, IKernelProvider> { ["gw"] = _gw, ["local"] = _local });
        var observer = new SyncRecorder();
        var list = (await sync.RunAsync(options, shouldProcess, observer, CancellationToken.None)).ToList();
        _warnings.AddRange(observer.Warnings);
        return (list, new RunSummary(observer.FailedProviders, observer.ProgressLines, list));
    }

    private static SyncResult One(List<SyncResult> results, string id) => Assert.Single(results, r => r.KernelId == id);

    private Task Remote(string id, KernelState state = KernelState.Idle, DateTimeOffset? activity = null, int? conns = 0) =>
        _store.AddKernelAsync(Record(id, "gw", state, remoteId: "r-" + id, lastActivity: activity ?? Now.AddMinutes(-1), connections: conns));

    private void List(string id, KernelState state = KernelState.Idle, DateTimeOffset? activity = null, int conns = 0) =>
        _gw.Listed.Add(new ProviderKernel("r-" + id, "python3") { State = state, LastActivity = activity ?? Now.AddMinutes(-1), Connections = conns });

    [Fact]
    public async Task Listed_Unchanged_IsKept_AndLastSeenRefreshed()
    {
        var activity = Now.AddMinutes(-3);
        await Remote("a", activity: activity);
        List("a", activity: activity);
        var before = (await _store.GetKernelAsync("a"))!;
        var (results, summary) = await Run(new SyncOptions());
        var r = One(results, "a");
        Assert.Equal(SyncAction.Kept, r.Action);
        Assert.Equal(KernelState.Idle, r.State);
        var after = (await _store.GetKernelAsync("a"))!;
        Assert.True(after.LastSeenAt > before.LastSeenAt);
        Assert.Equal(before with { LastSeenAt = after.LastSeenAt }, after);
        Assert.Equal(0, _gw.ProbeCalls);
        Assert.Equal(1, _gw.ListCalls);
        Assert.False(summary.HasFailures);
    }

    [Fact]
    public async Task Listed_Changed_IsUpdated()
    {
        await Remote("a", conns: 0);
        var newActivity = Now.AddSeconds(-5);
        List("a", KernelState.Busy, newActivity, conns: 2);
        var (results, summary) = await Run(new SyncOptions());
        Assert.Equal(SyncAction.Updated, One(results, "a").Action);
        var k = (await _store.GetKernelAsync("a"))!;
        Assert.Equal(KernelState.Busy, k.State);
        Assert.Equal(newActivity, k.LastActivityAt);
        Assert.Equal(2, k.Connections);
        Assert.Equal(1, summary.Count(SyncAction.Updated));
    }

    [Fact]
    public async Task MissingFromCompleteListing_IsMarkedDead_OnlyWhenProbeSaysGone()
    {
        await Remote("gone");
        await Remote("unsure");
        await Remote("late");
        _gw.Probes["gone"] = new KernelProbe(KernelLiveness.Gone, "404");
        _gw.Probes["late"] = new KernelProbe(KernelLiveness.Alive, "200") { State = KernelState.Busy };
        var (results, _) = await Run(new SyncOptions());
        Assert.Equal(SyncAction.MarkedDead, One(results, "gone").Action);
        Assert.Equal(KernelState.Dead, (await _store.GetKernelAsync("gone"))!.State);
        Assert.Equal(SyncAction.Kept, One(results, "unsure").Action);
        Assert.Contains("unknown", One(results, "unsure").Reason);
        Assert.Equal(KernelState.Idle, (await _store.GetKernelAsync("unsure"))!.State);
        Assert.Equal(SyncAction.Updated, One(results, "late").Action);
        Assert.Equal(3, _gw.ProbeCalls);

        // a second run keeps the dead record (already marked)
        var (again, _) = await Run(new SyncOptions());
        Assert.Equal(SyncAction.Kept, One(again, "gone").Action);
    }

    [Fact]
    public async Task RemoveDead_RemovesGoneRecords_AndTheirSessions_ButNeverUnknown()
    {
        await Remote("gone");
        await Remote("unsure");
        await _store.AddSessionAsync("s", "gone");
        _gw.Probes["gone"] = new KernelProbe(KernelLiveness.Gone, "404");
        _gw.Probes["unsure"] = new KernelProbe(KernelLiveness.Unknown, "timeout");
        var (results, _) = await Run(new SyncOptions { RemoveDead = true });
        Assert.Equal(SyncAction.Removed, One(results, "gone").Action);
        Assert.Null(await _store.GetKernelAsync("gone"));
        Assert.Null(await _store.GetSessionAsync("s"));
        Assert.Equal(SyncAction.Kept, One(results, "unsure").Action);
        Assert.NotNull(await _store.GetKernelAsync("unsure"));
    }

    [Fact]
    public async Task WhatIf_AsksAboutEveryChange_SoTheCallerCanSayWhatIf_AndChangesNothing()
    {
        // Sync-KernelSession -WhatIf prints "What if:" lines, which come from these questions.
        await Remote("gone");
        await Remote("dead");
        _gw.Probes["gone"] = new KernelProbe(KernelLiveness.Gone, "404");
        _gw.Probes["dead"] = new KernelProbe(KernelLiveness.Gone, "404");
        List("foreign");
        var asked = new List<(string Target, string Action)>();
        var (results, _) = await Run(new SyncOptions { RemoveDead = true, Adopt = true, WhatIf = true }, (t, a) => { asked.Add((t, a)); return false; });
        Assert.Equal(3, asked.Count);
        Assert.Contains(asked, q => q.Target.Contains("gone") && q.Action.StartsWith("Remove", StringComparison.Ordinal));
        Assert.Contains(asked, q => q.Target.Contains("r-foreign") && q.Action.StartsWith("Adopt", StringComparison.Ordinal));
        Assert.All(results.Where(r => r.Action != SyncAction.Kept), r => Assert.True(r.WhatIf));
        Assert.NotNull(await _store.GetKernelAsync("gone"));
        Assert.Null(await _store.FindKernelByRemoteIdAsync("gw", "r-foreign"));
    }

    [Fact]
    public async Task HangingProvider_DoesNotHoldTheLocalOneBack_EndsWithinItsBudget_AndShowsProgress()
    {
        // "gw" sorts before "local"; the local results come first anyway, and the silent server is
        // a failed provider (records unchanged) once the budget is spent.
        await Remote("a");
        await _store.AddKernelAsync(Record("l1"));
        _local.Probes["l1"] = new KernelProbe(KernelLiveness.Alive, "pid+hb ok") { State = KernelState.Idle };
        _gw.ListHangs = true;
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var (results, summary) = await Run(new SyncOptions
        {
            RemoveDead = true, ListBudget = TimeSpan.FromSeconds(2),
        });
        sw.Stop();
        Assert.Equal("l1", results[0].KernelId);
        Assert.Equal(SyncAction.Failed, One(results, "a").Action);
        Assert.Contains("ProviderTimeout", summary.FailedProviders["gw"]);
        Assert.NotNull(await _store.GetKernelAsync("a"));
        Assert.Contains(summary.Progress, p => p.Contains("'gw'"));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(12), $"took {sw.Elapsed}");
    }

    [Fact]
    public async Task ProbeThatThrows_IsUnknown_AndKept()
    {
        await _store.AddKernelAsync(Record("l1"));
        var throwing = new ThrowingProbeProvider();
        var sync = new Synchronizer(_store, new Dictionary<string, IKernelProvider> { ["local"] = throwing });
        var observer = new SyncRecorder();
        var results = (await sync.RunAsync(new SyncOptions { RemoveDead = true }, null, observer, CancellationToken.None)).ToList();
        _warnings.AddRange(observer.Warnings);
        Assert.Equal(SyncAction.Kept, One(results, "l1").Action);
        Assert.NotNull(await _store.GetKernelAsync("l1"));
        Assert.Equal(ErrorIds.KernelProbeFailed, Assert.Single(_warnings).WarningId);
    }

    private sealed class ThrowingProbeProvider : IKernelProvider
    {
        private readonly FakeProvider _inner = FakeProvider.Local();
        public string Name => "local";
        public string Kind => "local";
        public ProviderCapabilities Capabilities => FakeProvider.LocalCapabilities;
        public Task<KernelProbe> ProbeAsync(KernelRecord kernel, CancellationToken ct) => throw new IOException("proc unreadable");
        public Task<ProviderKernelListing> ListKernelsAsync(CancellationToken ct) => _inner.ListKernelsAsync(ct);
        public Task<IReadOnlyList<KernelSpec>> GetKernelSpecsAsync(bool refresh, CancellationToken ct) => throw new NotSupportedException();
        public Task<KernelRecord> StartKernelAsync(KernelStartRequest request, CancellationToken ct) => throw new NotSupportedException();
        public Task<Connections.IKernelChannels> ConnectAsync(KernelRecord kernel, CancellationToken ct) => throw new NotSupportedException();
        public Task InterruptAsync(KernelRecord kernel, CancellationToken ct) => throw new NotSupportedException();
        public Task<KernelRecord> RestartAsync(KernelRecord kernel, CancellationToken ct) => throw new NotSupportedException();
        public Task ShutdownAsync(KernelRecord kernel, bool now, CancellationToken ct) => throw new NotSupportedException();
        public Task<IReadOnlyList<string>> SaveKernelSpecResourcesAsync(string specName, string folder, CancellationToken ct) => throw new NotSupportedException();
        public ProviderKernelView Describe(KernelRecord kernel) => default;
        public Connections.KernelClientOptions GetClientOptions(KernelRecord kernel) => new();
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    [Fact]
    public async Task Adopt_RecordsUnknownRemoteKernels()
    {
        await Remote("known");
        List("known");
        _gw.Listed.Add(new ProviderKernel("foreign-1", "ir") { State = KernelState.Busy, Connections = 1, LastActivity = Now });
        var (without, _) = await Run(new SyncOptions());
        Assert.DoesNotContain(without, r => r.Action == SyncAction.Adopted);
        Assert.Null(await _store.FindKernelByRemoteIdAsync("gw", "foreign-1"));

        var (results, _) = await Run(new SyncOptions { Adopt = true });
        var adopted = One(results, "foreign-1");
        Assert.Equal(SyncAction.Adopted, adopted.Action);
        var k = (await _store.GetKernelAsync("foreign-1"))!;
        Assert.Equal("gw", k.Provider);
        Assert.Equal("foreign-1", k.RemoteId);
        Assert.Equal("gw/ir", k.SpecName);
        Assert.Equal(KernelState.Busy, k.State);
        Assert.Equal(1, k.Connections);

        var (third, _) = await Run(new SyncOptions { Adopt = true });
        Assert.DoesNotContain(third, r => r.Action == SyncAction.Adopted);
    }

    [Fact]
    public async Task UnreachableProvider_LeavesRecordsUntouched_AndIsReported()
    {
        await Remote("a");
        await Remote("b");
        await _store.AddKernelAsync(Record("l1"));
        _local.Probes["l1"] = new KernelProbe(KernelLiveness.Alive, "pid+hb ok") { State = KernelState.Idle };
        _gw.ListError = new KernelException(ErrorIds.ProviderUnreachable, KernelErrorCategory.ConnectionError, "connection refused", "gw");
        var before = await _store.ListKernelsAsync("gw");
        var (results, summary) = await Run(new SyncOptions { RemoveDead = true, Adopt = true, CullIdle = TimeSpan.Zero });
        Assert.All(results.Where(r => r.Provider == "gw"), r => Assert.Equal(SyncAction.Failed, r.Action));
        Assert.Equal(2, results.Count(r => r.Provider == "gw"));
        Assert.Contains("left unchanged", One(results, "a").Reason);
        Assert.Equal(before, await _store.ListKernelsAsync("gw"));
        Assert.True(summary.HasFailures);
        Assert.Contains("ProviderUnreachable", summary.FailedProviders["gw"]);
        // One signal for a failed provider (the summary, which the service reports as one error), not also a warning.
        Assert.DoesNotContain(_warnings, w => w.Message.Contains("gw"));
        Assert.Equal(0, _gw.ProbeCalls);
        // the other provider was still processed
        Assert.Equal(1, _local.ProbeCalls);
    }

    [Fact]
    public async Task IncompleteListing_ProbesEveryUnlistedRecord()
    {
        await Remote("a");
        await Remote("b");
        await Remote("c");
        _gw.Complete = false; // 403 on GET /api/kernels
        _gw.Probes["a"] = new KernelProbe(KernelLiveness.Alive, "200") { State = KernelState.Idle, LastActivity = Now.AddMinutes(-1), Connections = 0 };
        _gw.Probes["b"] = new KernelProbe(KernelLiveness.Gone, "404");
        var (results, _) = await Run(new SyncOptions());
        Assert.Equal(3, _gw.ProbeCalls);
        Assert.Equal(SyncAction.MarkedDead, One(results, "b").Action);
        Assert.Equal(SyncAction.Kept, One(results, "c").Action);
        Assert.Contains("does not allow listing", One(results, "c").Reason);
        Assert.NotEqual(SyncAction.MarkedDead, One(results, "a").Action);
    }

    [Fact]
    public async Task LocalProvider_ProbesEveryRecord_WithoutListing()
    {
        await _store.AddKernelAsync(Record("l1"));
        await _store.AddKernelAsync(Record("l2"));
        await _store.AddKernelAsync(Record("l3", state: KernelState.Starting));
        _local.Probes["l1"] = new KernelProbe(KernelLiveness.Gone, "process gone, heartbeat dead");
        _local.Probes["l3"] = new KernelProbe(KernelLiveness.Alive, "heartbeat ok") { State = KernelState.Idle };
        var (results, _) = await Run(new SyncOptions { Providers = new[] { "local" } });
        Assert.Equal(0, _local.ListCalls);
        Assert.Equal(3, _local.ProbeCalls);
        Assert.Equal(0, _gw.ListCalls); // filtered out
        Assert.Equal(SyncAction.MarkedDead, One(results, "l1").Action);
        Assert.Equal(SyncAction.Kept, One(results, "l2").Action);
        Assert.Equal(SyncAction.Updated, One(results, "l3").Action);
        Assert.Equal(KernelState.Idle, (await _store.GetKernelAsync("l3"))!.State);
    }

    [Fact]
    public async Task UnregisteredProvider_RecordsAreKept_AndRemoveDeadRemovesThem()
    {
        await _store.AddKernelAsync(Record("x1", "old-hub", remoteId: "rx"));
        var (results, summary) = await Run(new SyncOptions { CullIdle = TimeSpan.Zero });
        var r = One(results, "x1");
        Assert.Equal(SyncAction.Kept, r.Action);
        Assert.Contains("provider 'old-hub' is not registered", r.Reason);
        Assert.NotNull(await _store.GetKernelAsync("x1"));
        Assert.False(summary.HasFailures);

        // No command can reach a kernel whose provider is gone: -RemoveDead removes its record.
        (results, summary) = await Run(new SyncOptions { RemoveDead = true, CullIdle = TimeSpan.Zero });
        r = One(results, "x1");
        Assert.Equal(SyncAction.Removed, r.Action);
        Assert.Contains("provider 'old-hub' is not registered", r.Reason);
        Assert.Null(await _store.GetKernelAsync("x1"));
        Assert.False(summary.HasFailures);
    }

    [Fact]
    public async Task WhatIf_ReportsEveryAction_AndChangesNothing()
    {
        await Remote("upd");
        List("upd", KernelState.Busy);
        await Remote("dead");
        _gw.Probes["dead"] = new KernelProbe(KernelLiveness.Gone, "404");
        await Remote("idle", activity: Now.AddHours(-3));
        List("idle", activity: Now.AddHours(-3));
        _gw.Listed.Add(new ProviderKernel("foreign", "python3"));
        var before = await _store.ListKernelsAsync();

        var (results, _) = await Run(new SyncOptions { WhatIf = true, Adopt = true, CullIdle = TimeSpan.FromHours(1) });
        Assert.Equal(SyncAction.Updated, One(results, "upd").Action);
        Assert.Equal(SyncAction.MarkedDead, One(results, "dead").Action);
        Assert.Equal(SyncAction.Culled, One(results, "idle").Action);
        Assert.Equal(SyncAction.Adopted, One(results, "foreign").Action);
        Assert.All(results, r => Assert.True(r.WhatIf));
        Assert.Empty(_gw.ShutdownCalls);
        Assert.Equal(before, await _store.ListKernelsAsync());

        var (removeResults, _) = await Run(new SyncOptions { WhatIf = true, RemoveDead = true });
        Assert.Equal(SyncAction.Removed, One(removeResults, "dead").Action);
        Assert.Equal(before, await _store.ListKernelsAsync());
    }

    [Fact]
    public async Task ShouldProcessFalse_KeepsRecords()
    {
        await Remote("dead");
        _gw.Probes["dead"] = new KernelProbe(KernelLiveness.Gone, "404");
        var asked = new List<(string, string)>();
        var (results, _) = await Run(new SyncOptions { RemoveDead = true }, (t, a) => { asked.Add((t, a)); return false; });
        Assert.Equal(SyncAction.Kept, One(results, "dead").Action);
        Assert.Contains("not confirmed", One(results, "dead").Reason);
        Assert.NotNull(await _store.GetKernelAsync("dead"));
        Assert.Single(asked);
        Assert.Contains("dead", asked[0].Item1);
    }

    [Fact]
    public async Task Cull_RespectsIdleTime_Busy_AndConnections()
    {
        var old = Now.AddHours(-2);
        await Remote("idle-old", activity: old);
        List("idle-old", activity: old);
        await Remote("idle-recent", activity: Now.AddMinutes(-5));
        List("idle-recent", activity: Now.AddMinutes(-5));
        await Remote("busy-old", KernelState.Busy, old);
        List("busy-old", KernelState.Busy, old);
        await Remote("connected-old", activity: old, conns: 1);
        List("connected-old", activity: old, conns: 1);
        await _store.AddSessionAsync("s", "idle-old");

        var (results, summary) = await Run(new SyncOptions { CullIdle = TimeSpan.FromHours(1) });
        Assert.Equal(SyncAction.Culled, One(results, "idle-old").Action);
        Assert.Equal(new[] { "idle-old" }, _gw.ShutdownCalls);
        Assert.Null(await _store.GetKernelAsync("idle-old"));
        Assert.Null(await _store.GetSessionAsync("s"));
        Assert.NotEqual(SyncAction.Culled, One(results, "idle-recent").Action);
        Assert.NotEqual(SyncAction.Culled, One(results, "busy-old").Action);
        Assert.NotEqual(SyncAction.Culled, One(results, "connected-old").Action);
        Assert.Equal(1, summary.Count(SyncAction.Culled));

        var (busy, _) = await Run(new SyncOptions { CullIdle = TimeSpan.FromHours(1), IncludeBusy = true });
        Assert.Equal(SyncAction.Culled, One(busy, "busy-old").Action);
        Assert.NotEqual(SyncAction.Culled, One(busy, "connected-old").Action);

        var (conn, _) = await Run(new SyncOptions { CullIdle = TimeSpan.FromHours(1), IncludeConnected = true });
        Assert.Equal(SyncAction.Culled, One(conn, "connected-old").Action);
        Assert.NotNull(await _store.GetKernelAsync("idle-recent"));
        Assert.Single(await _store.ListKernelsAsync());
    }

    [Fact]
    public async Task Cull_FailedShutdown_KeepsRecord_AndIsReported()
    {
        await Remote("idle", activity: Now.AddHours(-2));
        List("idle", activity: Now.AddHours(-2));
        _gw.ShutdownError = new KernelException(ErrorIds.KernelShutdownFailed, KernelErrorCategory.ConnectionError, "500");
        var (results, summary) = await Run(new SyncOptions { CullIdle = TimeSpan.FromHours(1) });
        Assert.Equal(SyncAction.Failed, One(results, "idle").Action);
        Assert.NotNull(await _store.GetKernelAsync("idle"));
        Assert.True(summary.HasFailures);
        Assert.Empty(summary.FailedProviders);
    }

    [Fact]
    public async Task TenThousandRecords_SyncInOneListing_AndLinearTime()
    {
        var records = await SyntheticKernels.SeedAsync(_store, 10_000, "gw", remote: true);
        foreach (var r in records.Where((_, i) => i % 10 != 0))
            _gw.Listed.Add(new ProviderKernel(r.RemoteId!, "python3") { State = KernelState.Idle, LastActivity = r.LastActivityAt, Connections = r.Connections ?? 0 });
        foreach (var r in records.Where((_, i) => i % 10 == 0))
            _gw.Probes[r.Id] = new KernelProbe(KernelLiveness.Gone, "404");

        var sw = Stopwatch.StartNew();
        var (results, _) = await Run(new SyncOptions { Providers = new[] { "gw" } });
        sw.Stop();
        Assert.Equal(10_000, results.Count);
        Assert.Equal(1, _gw.ListCalls);
        Assert.Equal(1_000, _gw.ProbeCalls);
        Assert.Equal(1_000, results.Count(r => r.Action == SyncAction.MarkedDead));
        Assert.Equal(9_000, results.Count(r => r.Action == SyncAction.Kept));
        Assert.Equal(1_000, (await _store.ListKernelsAsync("gw")).Count(k => k.State == KernelState.Dead));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(15), $"sync of 10,000 records took {sw.Elapsed}");
    }
}
