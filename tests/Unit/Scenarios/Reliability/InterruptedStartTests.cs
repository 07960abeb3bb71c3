using System.Diagnostics;
using JupyterKernels.Connections;
using JupyterKernels.Providers;
using JupyterKernels.Service;
using JupyterKernels.Store;
using JupyterKernels.Sync;
using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.Reliability;

/// <summary>
/// With real processes: what a start killed early leaves (a Starting record naming a dead
/// starter, a connection file, maybe a running ipykernel that nobody recorded) is resolved by the next sync — the
/// kernel that answers is adopted with its pid, one that never will is killed and its files and record removed — and
/// a start in progress in a live process is left alone. And: replacing a session's dead kernel while another process
/// removes that kernel starts exactly one kernel, bound to the session.
/// </summary>
[Collection(JupyterKernels.Tests.SubShells.TimingSensitive.Name)]
public sealed class InterruptedStartTests : IAsyncLifetime
{
    private readonly ServiceFixture _fixture = new();
    private readonly List<Process> _spawned = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var p in _spawned) { try { p.Kill(true); } catch { } p.Dispose(); }
        await _fixture.DisposeAsync();
    }

    private static CancellationToken Bound(int seconds) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    private string RuntimeDir => _fixture.Environment["JUPYTER_RUNTIME_DIR"];

    /// <summary>The pid and start time of a process that has exited: a starter killed by kill -9.</summary>
    private static (int Pid, DateTimeOffset Start) DeadStarter()
    {
        using var p = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "sleep 0.3"]))!;
        var start = new DateTimeOffset(p.StartTime.ToUniversalTime(), TimeSpan.Zero);
        var pid = p.Id;
        p.Kill();
        p.WaitForExit();
        return (pid, start);
    }

    /// <summary>What Start-Kernel has created when it is killed after spawning: a Starting record without pid or
    /// connection info, the connection file, and the kernel process (not our child in real life; here it is).</summary>
    private async Task<(string Id, string File, Process? Kernel)> InterruptedStartAsync(bool spawnKernel, int starterPid, DateTimeOffset? starterStart)
    {
        var id = Guid.NewGuid().ToString();
        await using var store = await KernelStore.OpenAsync(_fixture.DatabasePath);
        await store.AddKernelAsync(new KernelRecord
        {
            Id = id, Provider = "local", SpecName = "python3", State = KernelState.Starting, CreatedAt = DateTimeOffset.UtcNow.AddSeconds(-1),
            Owner = "test", StarterPid = starterPid, StarterStartTime = starterStart,
        });
        Directory.CreateDirectory(RuntimeDir);
        var file = Path.Combine(RuntimeDir, $"kernel-{id}.json");
        await ConnectionFile.WriteAsync(file, ConnectionInfo.CreateLocal("python3"), CancellationToken.None);
        Process? kernel = null;
        if (spawnKernel)
        {
            var psi = new ProcessStartInfo(RealPython.Path, ["-m", "ipykernel_launcher", "-f", file]) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var (k, v) in _fixture.Environment) psi.Environment[k] = v;
            kernel = Process.Start(psi)!;
            _spawned.Add(kernel);
        }
        return (id, file, kernel);
    }

    private async Task<List<SyncResult>> SyncAsync(KernelService service, bool removeDead = true)
    {
        var results = new List<SyncResult>();
        await foreach (var r in service.SynchronizeAsync(new SyncOptions { RemoveDead = removeDead }, null, null, Bound(60))) results.Add(r);
        return results;
    }

    [Fact]
    public async Task A_start_killed_after_spawning_is_adopted_by_the_next_sync_with_its_pid_and_works()
    {
        var (starterPid, starterStart) = DeadStarter();
        var (id, file, kernel) = await InterruptedStartAsync(spawnKernel: true, starterPid, starterStart);
        await using var service = _fixture.NewService();
        // The kernel needs a moment to come up; until then the record is kept (grace), never removed.
        SyncResult? mine = null;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(40))
        {
            mine = (await SyncAsync(service)).Single(r => r.KernelId == id);
            if (mine.Action != SyncAction.Kept) break;
            Assert.True(File.Exists(file));
            await Task.Delay(500);
        }
        Assert.Equal(SyncAction.Adopted, mine!.Action);
        var record = await service.GetKernelAsync(id, Bound(10));
        Assert.Equal(kernel!.Id, record.Pid);
        Assert.Equal(KernelState.Idle, record.State);

        var execution = await service.ExecuteAsync(id, "print(6*7)", new ExecuteOptions(), Bound(30));
        var text = "";
        await foreach (var o in execution.Outputs.ReadAllAsync(Bound(30))) if (o is KernelStreamOutput s) text += s.Text;
        Assert.Contains("42", text);
        await service.StopKernelAsync(id, force: false, Bound(30));
        Assert.True(kernel.WaitForExit(10000));
    }

    [Fact]
    public async Task A_start_killed_before_the_kernel_answered_is_stopped_and_removed_and_leaves_no_file()
    {
        var (starterPid, starterStart) = DeadStarter();
        var (id, file, kernel) = await InterruptedStartAsync(spawnKernel: false, starterPid, starterStart);
        // A kernel process that never answers (a wrapper still sleeping), naming the connection file.
        var psi = new ProcessStartInfo("/bin/sh", ["-c", "sleep 300", "wrapper", "-f", file]);
        var stuck = Process.Start(psi)!;
        _spawned.Add(stuck);
        // Older than the start grace: made so by a provider with a short grace.
        await using var service = new KernelService(ServiceOptionsWithGrace(TimeSpan.FromSeconds(2)));
        await Task.Delay(2500);
        var results = await SyncAsync(service);
        var mine = results.Single(r => r.KernelId == id);
        Assert.Equal(SyncAction.Removed, mine.Action);
        Assert.Contains("killed", mine.Reason);
        Assert.True(stuck.WaitForExit(10000), "the process the start left was not stopped");
        Assert.False(File.Exists(file));
        await Assert.ThrowsAsync<KernelException>(() => service.GetKernelAsync(id, Bound(10)));
    }

    [Fact]
    public async Task A_start_in_progress_in_a_live_process_is_left_alone()
    {
        var self = Environment.ProcessId;
        var (id, file, _) = await InterruptedStartAsync(spawnKernel: false, self, JupyterKernels.Providers.Local.LocalKernelProvider.StartTimeOf(self));
        await using var service = _fixture.NewService();
        var mine = (await SyncAsync(service)).Single(r => r.KernelId == id);
        Assert.Equal(SyncAction.Kept, mine.Action);
        Assert.Contains("in progress", mine.Reason);
        Assert.True(File.Exists(file));
    }

    [Fact]
    public async Task Stop_kernel_of_an_interrupted_start_stops_the_process_it_left()
    {
        var (starterPid, starterStart) = DeadStarter();
        var (id, file, kernel) = await InterruptedStartAsync(spawnKernel: true, starterPid, starterStart);
        await Task.Delay(500);
        await using var service = _fixture.NewService();
        await service.StopKernelAsync(id, force: true, Bound(30));
        Assert.True(kernel!.WaitForExit(10000), "Stop-Kernel left the kernel running");
        Assert.False(File.Exists(file));
    }

    private KernelServiceOptions ServiceOptionsWithGrace(TimeSpan grace)
    {
        var vars = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? "");
        foreach (var (k, v) in _fixture.Environment) vars[k] = v;
        var env = new JupyterKernels.Kernelspecs.FixedJupyterEnvironment(JupyterKernels.Kernelspecs.JupyterPlatform.Linux, _fixture.Root.Path, vars);
        var paths = new JupyterKernels.Kernelspecs.JupyterPaths(env);
        return new KernelServiceOptions
        {
            DatabasePath = _fixture.DatabasePath,
            Paths = paths,
            LocalProvider = new JupyterKernels.Providers.Local.LocalKernelProvider(paths, new JupyterKernels.Kernelspecs.KernelSpecCatalog(paths.KernelSpecDirs), env,
                new JupyterKernels.Providers.Local.LocalProviderOptions { StartGrace = grace }),
            GetEnvironmentVariable = _ => null,
        };
    }

    [Theory]
    [InlineData(0)]
    [InlineData(150)]
    [InlineData(300)]
    public async Task Replacing_a_dead_session_kernel_while_sync_removes_it_starts_exactly_one_kernel_bound_to_the_session(int syncDelayMs)
    {
        await using var first = _fixture.NewService();
        var s1 = await first.NewSessionAsync("s", "python3", null, null, null, Bound(90));
        var k1 = await first.GetKernelAsync(s1.KernelId, Bound(10));
        LeakProbe.KillHard(k1.Pid!.Value);
        Assert.True(await LeakProbe.WaitGoneAsync(k1.Pid.Value, TimeSpan.FromSeconds(5)));

        await using var creator = _fixture.NewService();
        await using var syncer = _fixture.NewService();
        var create = creator.NewSessionAsync("s", "python3", null, null, null, Bound(120));
        await Task.Delay(syncDelayMs);
        var synced = await SyncAsync(syncer);
        var s2 = await create;

        // Let the sync that raced settle, then look at the whole store and the processes.
        await SyncAsync(syncer);
        await using var check = _fixture.NewService();
        var kernels = await check.GetKernelsAsync(Bound(10));
        var sessions = await check.GetSessionsAsync(Bound(10));
        Assert.Single(sessions);
        Assert.Equal(s2.KernelId, sessions[0].KernelId);
        Assert.NotEqual(k1.Id, s2.KernelId);
        var live = kernels.Where(k => k.Pid is { } p && !LeakProbe.IsGone(p)).ToList();
        Assert.True(live.Count == 1, $"expected one live kernel, found {live.Count}: {string.Join(", ", live.Select(k => $"{k.Id} pid {k.Pid} session {k.Session}"))}; sync said: {string.Join("; ", synced.Select(r => $"{r.KernelId} {r.Action} {r.Reason}"))}");
        Assert.Equal(s2.KernelId, live[0].Id);
        Assert.Equal("s", live[0].Session);
        // No kernel process of this test runs without a record.
        var ipykernels = LiveKernelProcessesUnder(RuntimeDir);
        Assert.True(ipykernels.All(pid => kernels.Any(k => k.Pid == pid)), $"unrecorded kernel processes: {string.Join(", ", ipykernels)}");
    }

    internal static List<int> LiveKernelProcessesUnder(string runtimeDir)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var cmd = File.ReadAllText(Path.Combine(dir, "cmdline"));
                if (cmd.Contains("ipykernel_launcher") && cmd.Contains(runtimeDir) && !LeakProbe.IsGone(pid)) found.Add(pid);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return found;
    }
}
