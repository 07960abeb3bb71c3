using System.Diagnostics;
using JupyterKernels.Providers;
using JupyterKernels.Store;
using JupyterKernels.Sync;
using JupyterKernels.Tests.Support;
using static JupyterKernels.Tests.Support.StoreTestUtil;

namespace JupyterKernels.Tests.Sync;

/// <summary>A sync is a plan, then an apply: the plan changes nothing, -WhatIf is the plan, and the apply writes the
/// store in one transaction (a fault in the middle of it leaves nothing half-written).</summary>
public class SyncPlanApplyTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private KernelStore _store = null!;
    private readonly FakeProvider _gw = new("gw");
    private readonly SessionsProvider _withSessions;
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    public SyncPlanApplyTests() => _withSessions = new SessionsProvider(_gw);

    public async Task InitializeAsync() => _store = await KernelStore.OpenAsync(_dir.File("jk.db"));
    public async Task DisposeAsync() { await _store.DisposeAsync(); _dir.Dispose(); }

    private Synchronizer Sync() => new(_store, new Dictionary<string, IKernelProvider> { ["gw"] = _withSessions });

    /// <summary>Records, sessions and executions: everything a sync may write, row by row.</summary>
    private string Snapshot()
    {
        using var c = Raw(_dir.File("jk.db"));
        var rows = new List<string>();
        foreach (var table in new[] { "kernels", "sessions", "executions" })
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = $"SELECT * FROM {table} ORDER BY 1";
            using var r = cmd.ExecuteReader();
            while (r.Read())
                rows.Add(table + ": " + string.Join("|", Enumerable.Range(0, r.FieldCount).Select(i => r.IsDBNull(i) ? "null" : Convert.ToString(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture))));
        }
        return string.Join("\n", rows);
    }

    private static int GonePid()
    {
        using var p = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        p.WaitForExit();
        return p.Id;
    }

    /// <summary>A store holding one of each change: a record to mark dead, one to update (with the stale execution of
    /// a process that is gone), one to cull, and a listed kernel to adopt with its server session.</summary>
    private async Task SeedAsync()
    {
        await _store.AddKernelAsync(Record("gone", "gw", remoteId: "r-gone", lastActivity: Now.AddMinutes(-1)));
        _gw.Probes["gone"] = new KernelProbe(KernelLiveness.Gone, "404");
        await _store.AddKernelAsync(Record("upd", "gw", remoteId: "r-upd", lastActivity: Now.AddMinutes(-1), connections: 0));
        _gw.Listed.Add(new ProviderKernel("r-upd", "python3") { State = KernelState.Busy, LastActivity = Now.AddSeconds(-1), Connections = 0 });
        Assert.True(await _store.BeginExecutionAsync(new ExecutionInFlight("m-1", "upd", null, GonePid(), Now.AddMinutes(-3), Now.AddMinutes(-2))));
        await _store.AddKernelAsync(Record("idle", "gw", remoteId: "r-idle", lastActivity: Now.AddHours(-3), connections: 0));
        _gw.Listed.Add(new ProviderKernel("r-idle", "python3") { State = KernelState.Idle, LastActivity = Now.AddHours(-3), Connections = 0 });
        _gw.Listed.Add(new ProviderKernel("foreign", "python3") { State = KernelState.Idle, LastActivity = Now, Connections = 0 });
        _withSessions.Sessions.Add(new ProviderSession("notebook", "work/notebook.ipynb", "notebook", _gw.Listed[^1]));
    }

    private static readonly SyncOptions Everything = new() { Adopt = true, CullIdle = TimeSpan.FromHours(1) };

    private static string Row(SyncResult r) => $"{r.KernelId} {r.Provider} {r.Action} {r.State} {r.WhatIf} {r.Reason}";

    [Theory]
    [InlineData("kernels")]   // met at the adopted kernel's insert, after the stale execution, the update and the mark
    [InlineData("sessions")]  // met at the adopted kernel's session, the last write of all
    public async Task A_store_fault_in_the_middle_of_the_apply_leaves_no_partial_write(string table)
    {
        await SeedAsync();
        var before = Snapshot();
        using (var c = Raw(_dir.File("jk.db")))
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = $"CREATE TRIGGER jk_test_fault BEFORE INSERT ON {table} BEGIN SELECT RAISE(ABORT, 'injected store fault'); END";
            cmd.ExecuteNonQuery();
        }
        var failure = await Assert.ThrowsAsync<KernelException>(() => Sync().RunAsync(Everything, null, null, CancellationToken.None));
        Assert.Contains("injected store fault", failure.ToString());
        Assert.Equal(before, Snapshot());

        // Without the fault the same sync writes all of it, in that one transaction.
        using (var c = Raw(_dir.File("jk.db")))
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "DROP TRIGGER jk_test_fault";
            cmd.ExecuteNonQuery();
        }
        var results = new List<SyncResult>();
        results.AddRange(await Sync().RunAsync(Everything, null, null, CancellationToken.None));
        Assert.Equal(SyncAction.MarkedDead, results.Single(r => r.KernelId == "gone").Action);
        Assert.StartsWith("cleared stale record of execution m-1", results.Single(r => r.KernelId == "upd").Reason);
        Assert.Equal(SyncAction.Culled, results.Single(r => r.KernelId == "idle").Action);
        Assert.Equal(SyncAction.Adopted, results.Single(r => r.KernelId == "foreign").Action);
        Assert.Equal(KernelState.Dead, (await _store.GetKernelAsync("gone"))!.State);
        Assert.Equal(KernelState.Busy, (await _store.GetKernelAsync("upd"))!.State);
        Assert.Empty(await _store.ListExecutionsAsync());
        Assert.Null(await _store.GetKernelAsync("idle"));
        Assert.Equal("foreign", (await _store.GetSessionAsync("notebook"))!.KernelId);
    }

    [Fact]
    public async Task WhatIf_writes_nothing_shuts_nothing_down_and_is_the_plan()
    {
        await SeedAsync();
        var before = Snapshot();
        var whatIf = Everything with { WhatIf = true };

        var plan = await Sync().PlanAsync(whatIf, null, CancellationToken.None);
        var planAsked = new List<string>();
        plan.Confirm((t, a) => { planAsked.Add($"{t}: {a}"); return true; });
        var planned = plan.WhatIfResults.Select(Row).ToList();
        Assert.Equal(before, Snapshot());

        var asked = new List<string>();
        var results = new List<SyncResult>();
        results.AddRange(await Sync().RunAsync(whatIf, (t, a) => { asked.Add($"{t}: {a}"); return false; }, null, CancellationToken.None));

        Assert.Equal(planned, results.Select(Row).ToList());
        Assert.Equal(planAsked, asked);
        // Asked in the order decided: each record in turn, then the kernels to adopt.
        Assert.Collection(asked,
            q => Assert.Equal("kernel gone (gw): Mark a kernel that is gone as dead", q),
            q => Assert.StartsWith("kernel idle (gw): Shut down a kernel idle since ", q),
            q => Assert.Equal("kernel foreign (gw): Adopt a kernel the provider runs but the store does not know", q));
        Assert.All(results.Where(r => r.Action != SyncAction.Kept), r => Assert.True(r.WhatIf));
        Assert.StartsWith("would clear stale record of execution m-1", results.Single(r => r.KernelId == "upd").Reason);
        Assert.Empty(_gw.ShutdownCalls);
        Assert.Equal(before, Snapshot());

        // Applied, the same plan does what -WhatIf said, change for change.
        var applied = new List<SyncResult>();
        applied.AddRange(await Sync().RunAsync(Everything, null, null, CancellationToken.None));
        Assert.Equal(results.Select(r => (r.KernelId, r.Action, r.State)), applied.Select(r => (r.KernelId, r.Action, r.State)));
        Assert.All(applied, r => Assert.False(r.WhatIf));
        Assert.Equal(new[] { "idle" }, _gw.ShutdownCalls);
    }

    [Fact]
    public async Task One_kernel_adopted_through_two_providers_in_one_sync_gets_two_records()
    {
        // Two providers that reach the same server list the same kernel; the plan is written at once, so the second
        // record cannot take the remote id the first one takes.
        var other = new FakeProvider("gw2");
        _gw.Listed.Add(new ProviderKernel("k-shared", "python3") { State = KernelState.Idle, Connections = 0 });
        other.Listed.Add(new ProviderKernel("k-shared", "python3") { State = KernelState.Idle, Connections = 0 });
        var sync = new Synchronizer(_store, new Dictionary<string, IKernelProvider> { ["gw"] = _gw, ["gw2"] = other });
        var results = new List<SyncResult>();
        results.AddRange(await sync.RunAsync(new SyncOptions { Adopt = true }, null, null, CancellationToken.None));

        Assert.Equal(new[] { SyncAction.Adopted, SyncAction.Adopted }, results.Select(r => r.Action));
        var records = await _store.ListKernelsAsync();
        Assert.Equal(new[] { "gw", "gw2" }, records.Select(k => k.Provider).Order());
        Assert.All(records, k => Assert.Equal("k-shared", k.RemoteId));
        Assert.Equal(results.Select(r => r.KernelId).Order(), records.Select(k => k.Id).Order());
    }

    /// <summary>A provider that also lists its server's sessions (as Jupyter Server does).</summary>
    private sealed class SessionsProvider(FakeProvider inner) : IKernelProvider, IKeepsSessions
    {
        public List<ProviderSession> Sessions { get; } = new();
        public string Name => inner.Name;
        public string Kind => inner.Kind;
        public ProviderCapabilities Capabilities => inner.Capabilities;
        public Task<IReadOnlyList<ProviderSession>> ListSessionsAsync(CancellationToken ct) => Task.FromResult<IReadOnlyList<ProviderSession>>(Sessions.ToList());
        public Task MirrorSessionAsync(KernelSession session, KernelRecord kernel, CancellationToken ct) => throw new NotSupportedException();
        public Task RemoveSessionMirrorAsync(KernelSession session, KernelRecord kernel, CancellationToken ct) => throw new NotSupportedException();
        public Task<IReadOnlyList<string>> SaveKernelSpecResourcesAsync(string specName, string folder, CancellationToken ct) => throw new NotSupportedException();
        public ProviderKernelView Describe(KernelRecord kernel) => inner.Describe(kernel);
        public Connections.KernelClientOptions GetClientOptions(KernelRecord kernel) => inner.GetClientOptions(kernel);
        public Task<ProviderKernelListing> ListKernelsAsync(CancellationToken ct) => inner.ListKernelsAsync(ct);
        public Task<KernelProbe> ProbeAsync(KernelRecord kernel, CancellationToken ct) => inner.ProbeAsync(kernel, ct);
        public Task ShutdownAsync(KernelRecord kernel, bool now, CancellationToken ct) => inner.ShutdownAsync(kernel, now, ct);
        public Task<IReadOnlyList<KernelSpec>> GetKernelSpecsAsync(bool refresh, CancellationToken ct) => inner.GetKernelSpecsAsync(refresh, ct);
        public Task<KernelRecord> StartKernelAsync(KernelStartRequest request, CancellationToken ct) => inner.StartKernelAsync(request, ct);
        public Task<Connections.IKernelChannels> ConnectAsync(KernelRecord kernel, CancellationToken ct) => inner.ConnectAsync(kernel, ct);
        public Task InterruptAsync(KernelRecord kernel, CancellationToken ct) => inner.InterruptAsync(kernel, ct);
        public Task<KernelRecord> RestartAsync(KernelRecord kernel, CancellationToken ct) => inner.RestartAsync(kernel, ct);
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
