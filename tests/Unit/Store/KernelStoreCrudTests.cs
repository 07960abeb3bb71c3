using System.Diagnostics;
using JupyterKernels.Providers;
using JupyterKernels.Store;
using JupyterKernels.Sync;
using static JupyterKernels.Tests.Support.StoreTestUtil;
using JupyterKernels.Providers.Local;
using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.Store;

[Trait("Category", "Integration")] // starts processes or servers
public class KernelStoreCrudTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private KernelStore _store = null!;

    public async Task InitializeAsync() => _store = await KernelStore.OpenAsync(_dir.File("jk.db"));
    public async Task DisposeAsync() { await _store.DisposeAsync(); _dir.Dispose(); }

    private static KernelRecord Full(string id) => new()
    {
        Id = id,
        Provider = "gw",
        RemoteId = "remote-" + id,
        SpecName = "gw/python3",
        DisplayName = "Python 3 (gw)",
        ProviderData = new LocalKernelData
        {
            ConnectionInfoJson = """{"ip":"127.0.0.1","key":"s3cret","shell_port":5555}""",
            ConnectionFile = "/run/user/1000/jupyter/kernel-x.json",
            Pid = 4242,
            ProcessStartTime = new DateTimeOffset(2024, 5, 6, 7, 8, 9, 123, TimeSpan.FromHours(2)).AddTicks(4567),
        }.ToJson(),
        InterruptMode = "message",
        CreatedAt = new DateTimeOffset(2024, 5, 6, 7, 0, 0, TimeSpan.Zero),
        LastSeenAt = new DateTimeOffset(2024, 5, 6, 8, 0, 0, TimeSpan.Zero),
        LastActivityAt = new DateTimeOffset(2024, 5, 6, 7, 30, 0, TimeSpan.FromHours(-5)),
        State = KernelState.Busy,
        Connections = 3,
        Owner = "alice@box",
    };

    [Fact]
    public async Task Kernel_RoundTripsEveryField()
    {
        var k = Full("k1");
        await _store.AddKernelAsync(k);
        Assert.Equal(k, await _store.GetKernelAsync("k1"));

        var changed = k with
        {
            RemoteId = null, SpecName = "python3", DisplayName = "", ProviderData = null,
            InterruptMode = "signal", LastSeenAt = null, LastActivityAt = null, State = KernelState.Dead,
            Connections = null, Owner = "bob@box", CreatedAt = k.CreatedAt.AddDays(1),
        };
        Assert.True(await _store.UpdateKernelAsync(changed));
        Assert.Equal(changed, await _store.GetKernelAsync("k1"));
        Assert.False(await _store.UpdateKernelAsync(Full("missing")));
        Assert.Null(await _store.GetKernelAsync("missing"));

        foreach (var s in Enum.GetValues<KernelState>())
        {
            await _store.UpsertKernelAsync(changed with { State = s });
            Assert.Equal(s, (await _store.GetKernelAsync("k1"))!.State);
        }
    }

    [Fact]
    public async Task Kernel_Add_Duplicate_IdOrRemoteId_Fails()
    {
        await _store.AddKernelAsync(Full("k1"));
        var e = await Assert.ThrowsAsync<KernelException>(() => _store.AddKernelAsync(Full("k1") with { RemoteId = "other" }));
        Assert.Equal(ErrorIds.KernelExists, e.ErrorId);
        Assert.DoesNotContain("s3cret", e.Message);
        e = await Assert.ThrowsAsync<KernelException>(() => _store.AddKernelAsync(Full("k2") with { RemoteId = "remote-k1" }));
        Assert.Equal(ErrorIds.KernelExists, e.ErrorId);
        // the same remote id on another provider is fine; so are several local records without remote id
        await _store.AddKernelAsync(Full("k3") with { Provider = "gw2", RemoteId = "remote-k1" });
        await _store.AddKernelAsync(Record("l1"));
        await _store.AddKernelAsync(Record("l2"));
        Assert.Equal(4, await _store.CountKernelsAsync());
    }

    [Fact]
    public async Task Kernel_Upsert_List_Find_Remove()
    {
        await _store.UpsertKernelAsync(Full("a"));
        await _store.UpsertKernelAsync(Full("a") with { State = KernelState.Idle });
        await _store.AddKernelAsync(Record("b"));
        await _store.AddKernelsAsync(new[] { Record("c"), Record("d", provider: "gw", remoteId: "rd") });
        Assert.Equal(KernelState.Idle, (await _store.GetKernelAsync("a"))!.State);
        Assert.Equal(new[] { "a", "d" }, (await _store.ListKernelsAsync("gw")).Select(k => k.Id).Order());
        Assert.Equal(4, (await _store.ListKernelsAsync()).Count);
        Assert.Equal("d", (await _store.FindKernelByRemoteIdAsync("gw", "rd"))!.Id);
        Assert.Null(await _store.FindKernelByRemoteIdAsync("other", "rd"));
        Assert.True(await _store.RemoveKernelAsync("a"));
        Assert.False(await _store.RemoveKernelAsync("a"));
        Assert.Equal(3, await _store.CountKernelsAsync());
    }

    [Fact]
    public async Task AddKernels_IsAllOrNothing()
    {
        await _store.AddKernelAsync(Record("x2"));
        var e = await Assert.ThrowsAsync<KernelException>(() => _store.AddKernelsAsync(new[] { Record("x1"), Record("x2"), Record("x3") }));
        Assert.Equal(ErrorIds.KernelExists, e.ErrorId);
        Assert.Equal(1, await _store.CountKernelsAsync());
    }

    [Fact]
    public async Task Sessions_Crud_AndKernelSessionName()
    {
        await _store.AddKernelAsync(Full("k1"));
        var s = await _store.AddSessionAsync("Work", "k1", "/notebooks/a.ipynb", "notebook");
        Assert.Equal("Work", s.Name);
        Assert.Equal("/notebooks/a.ipynb", s.Path);
        Assert.Equal("notebook", s.Type);
        Assert.Equal("k1", s.KernelId);
        Assert.Equal("gw/python3", s.KernelName);
        Assert.Equal("gw", s.Provider);

        var got = await _store.GetSessionAsync("work"); // names are case-insensitive
        Assert.NotNull(got);
        Assert.Equal(s.Id, got!.Id);
        Assert.Equal(s.CreatedAt, got.CreatedAt);
        Assert.Equal("Work", (await _store.GetKernelAsync("k1"))!.SessionName);

        var e = await Assert.ThrowsAsync<KernelException>(() => _store.AddSessionAsync("WORK", "k1"));
        Assert.Equal(ErrorIds.SessionExists, e.ErrorId);
        e = await Assert.ThrowsAsync<KernelException>(() => _store.AddSessionAsync("other", "nope"));
        Assert.Equal(ErrorIds.KernelNotFound, e.ErrorId);

        await _store.AddKernelAsync(Record("k2"));
        await _store.AddSessionAsync("b-session", "k2");
        Assert.Equal(new[] { "b-session", "Work" }, (await _store.ListSessionsAsync()).Select(x => x.Name));
        Assert.True(await _store.RemoveSessionAsync("Work"));
        Assert.False(await _store.RemoveSessionAsync("Work"));
        Assert.NotNull(await _store.GetKernelAsync("k1")); // removing a session keeps its kernel
        Assert.Null((await _store.GetKernelAsync("k1"))!.SessionName);
    }

    [Fact]
    public async Task RemovingKernel_CascadesToSessionsAndSubshells()
    {
        await _store.AddKernelAsync(Record("k1"));
        await _store.AddSessionAsync("s", "k1");
        await _store.AddSubShellAsync("k1", "sub-a");
        Assert.True(await _store.RemoveKernelAsync("k1"));
        Assert.Null(await _store.GetSessionAsync("s"));
        Assert.Empty(await _store.ListSubShellsAsync("k1"));
        Assert.Equal("ok", await _store.CheckIntegrityAsync());
    }

    [Fact]
    public async Task SubShells_Crud()
    {
        await _store.AddKernelAsync(Record("k1"));
        await _store.AddKernelAsync(Record("k2"));
        var a = await _store.AddSubShellAsync("k1", "a");
        var again = await _store.AddSubShellAsync("k1", "a"); // idempotent
        Assert.Equal(a.CreatedAt, again.CreatedAt);
        await _store.AddSubShellAsync("k1", "b");
        await _store.AddSubShellAsync("k2", "c");
        Assert.Equal(new[] { "a", "b" }, (await _store.ListSubShellsAsync("k1")).Select(x => x.SubShellId).Order());
        Assert.True(await _store.RemoveSubShellAsync("k1", "a"));
        Assert.False(await _store.RemoveSubShellAsync("k1", "a"));
        Assert.Equal(1, await _store.ClearSubShellsAsync("k1"));
        Assert.Empty(await _store.ListSubShellsAsync("k1"));
        Assert.Single(await _store.ListSubShellsAsync("k2"));
        var e = await Assert.ThrowsAsync<KernelException>(() => _store.AddSubShellAsync("nope", "x"));
        Assert.Equal(ErrorIds.KernelNotFound, e.ErrorId);
    }

    // ------------------------------------------------------------------ create or reuse

    private static Func<CancellationToken, Task<KernelRecord>> Starter(Action onStart, string? id = null, int delayMs = 0) => async ct =>
    {
        onStart();
        if (delayMs > 0) await Task.Delay(delayMs, ct);
        return Record(id ?? Guid.NewGuid().ToString()) with { State = KernelState.Idle };
    };

    private static readonly Func<KernelRecord, CancellationToken, Task<bool>> Alive = (_, _) => Task.FromResult(true);

    [Fact]
    public async Task GetOrCreate_CreatesOnce_ThenReuses()
    {
        var starts = 0;
        var first = await _store.GetOrCreateSessionAsync("s1", Starter(() => starts++), Alive, new SessionCreateOptions { Path = "/p", Type = "notebook" });
        Assert.True(first.Created);
        Assert.Equal("/p", first.Session.Path);
        Assert.Equal("notebook", first.Session.Type);
        Assert.Equal(first.Kernel.Id, first.Session.KernelId);
        Assert.NotNull(await _store.GetKernelAsync(first.Kernel.Id)); // the started kernel is recorded

        var second = await _store.GetOrCreateSessionAsync("S1", Starter(() => starts++), Alive);
        Assert.False(second.Created);
        Assert.Equal(first.Kernel.Id, second.Kernel.Id);
        Assert.Equal(first.Session.Id, second.Session.Id);
        Assert.Equal(1, starts);
    }

    [Fact]
    public async Task GetOrCreate_ReplacesDeadKernel()
    {
        var first = await _store.GetOrCreateSessionAsync("s", Starter(() => { }), Alive);
        var second = await _store.GetOrCreateSessionAsync("s", Starter(() => { }), (_, _) => Task.FromResult(false));
        Assert.True(second.Created);
        Assert.Equal(first.Kernel.Id, second.ReplacedKernelId);
        Assert.NotEqual(first.Kernel.Id, second.Kernel.Id);
        Assert.Equal(first.Session.Id, second.Session.Id);
        Assert.Equal(second.Kernel.Id, (await _store.GetSessionAsync("s"))!.KernelId);

        // a kernel recorded dead is replaced without asking isAlive
        await _store.UpsertKernelAsync((await _store.GetKernelAsync(second.Kernel.Id))! with { State = KernelState.Dead });
        var asked = false;
        var third = await _store.GetOrCreateSessionAsync("s", Starter(() => { }), (_, _) => { asked = true; return Task.FromResult(true); });
        Assert.False(asked);
        Assert.Equal(second.Kernel.Id, third.ReplacedKernelId);
    }

    [Fact]
    public async Task GetOrCreate_FailedStart_LeavesNoSession_AndErrorPropagates()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(() => _store.GetOrCreateSessionAsync("s",
            _ => Task.FromException<KernelRecord>(new InvalidOperationException("boom")), Alive));
        Assert.Null(await _store.GetSessionAsync("s"));
        var ok = await _store.GetOrCreateSessionAsync("s", Starter(() => { }), Alive);
        Assert.True(ok.Created);
    }

    [Fact]
    public async Task GetOrCreate_ManyConcurrentCallers_StartOneKernel()
    {
        var starts = 0;
        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() =>
            _store.GetOrCreateSessionAsync("shared", Starter(() => Interlocked.Increment(ref starts), delayMs: 100), Alive))));
        Assert.Equal(1, starts);
        Assert.Single(results.Select(r => r.Kernel.Id).Distinct());
        Assert.Single(results, r => r.Created);
        Assert.Single(await _store.ListSessionsAsync());
    }

    [Fact]
    public async Task GetOrCreate_StalePendingClaim_IsTakenOver_AndSlowCreatorReusesTheWinner()
    {
        var release = new TaskCompletionSource();
        var slowStarted = new TaskCompletionSource();
        var discarded = new List<string>();
        var slow = _store.GetOrCreateSessionAsync("s", async ct =>
        {
            slowStarted.SetResult();
            await release.Task.WaitAsync(TimeSpan.FromSeconds(20), ct);
            return Record("slow-kernel") with { State = KernelState.Idle };
        }, Alive, discardKernel: (k, _) => { lock (discarded) discarded.Add(k.Id); return Task.CompletedTask; });
        await slowStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));

        var fast = await _store.GetOrCreateSessionAsync("s", Starter(() => { }, "fast-kernel"), Alive,
            new SessionCreateOptions { PendingTimeout = TimeSpan.FromMilliseconds(100), PollInterval = TimeSpan.FromMilliseconds(20) });
        Assert.Equal("fast-kernel", fast.Kernel.Id);
        release.SetResult();
        var slowResult = await slow.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal("fast-kernel", slowResult.Kernel.Id); // lost its claim: reuses the winner's
        Assert.False(slowResult.Created);
        // Its kernel is never left unowned: the record goes and the kernel is handed back to stop.
        Assert.Null(await _store.GetKernelAsync("slow-kernel"));
        Assert.Equal(["slow-kernel"], discarded);
    }

    [Fact]
    public async Task GetOrCreate_PendingClaimOfDeadProcess_IsTakenOver()
    {
        using var p = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        using (var c = Raw(_store.Path))
            Exec(c, $"INSERT INTO sessions (id, name, created_at, pending_token, pending_pid, pending_since) " +
                    $"VALUES ('x', 'orphan', '{KernelStore.Time(DateTimeOffset.UtcNow)}', 'tok', {p.Id}, '{KernelStore.Time(DateTimeOffset.UtcNow)}')");
        var r = await _store.GetOrCreateSessionAsync("orphan", Starter(() => { }), Alive).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(r.Created);
    }

    [Fact]
    public async Task GetOrCreate_Cancellation_WhileWaiting()
    {
        var release = new TaskCompletionSource();
        var owner = _store.GetOrCreateSessionAsync("s", async ct => { await release.Task; return Record("k") with { State = KernelState.Idle }; }, Alive);
        await Task.Delay(100);
        using var cts = new CancellationTokenSource(200);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _store.GetOrCreateSessionAsync("s", Starter(() => { }), Alive, null, cts.Token));
        release.SetResult();
        Assert.Equal("k", (await owner.WaitAsync(TimeSpan.FromSeconds(10))).Kernel.Id);
    }
}
