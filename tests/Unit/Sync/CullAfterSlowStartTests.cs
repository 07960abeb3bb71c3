using System.Diagnostics;
using JupyterKernels.Connections;
using JupyterKernels.Providers;
using JupyterKernels.Service;
using JupyterKernels.Store;
using JupyterKernels.Tests.Support;
using JupyterKernels.Sync;

namespace JupyterKernels.Tests.Sync;

/// <summary>
/// A cull judges a kernel idle from when it became ready, never from when its start began: a kernel whose start took
/// longer than another process's -IdleTimeout is not culled before anyone could use it. Real ipykernel (behind a
/// kernelspec that waits before it launches it, or launched for a start whose PowerShell was killed), real SQLite,
/// two service instances as two PowerShell processes.
/// </summary>
[Trait("Category", "Integration")] // starts processes
public sealed class CullAfterSlowStartTests : IAsyncLifetime
{
    private const string SlowSpec = "jk-slow-python3";
    private static readonly TimeSpan StartDelay = TimeSpan.FromSeconds(6);
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(4);

    private readonly ServiceFixture _fixture = new();
    private readonly List<Process> _spawned = new();

    public Task InitializeAsync()
    {
        var dir = _fixture.Root.Combine("share", "kernels", SlowSpec);
        Directory.CreateDirectory(dir);
        // sh execs the kernel: the pid the provider records is the kernel's.
        File.WriteAllText(Path.Combine(dir, "kernel.json"), System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["argv"] = new[] { "/bin/sh", "-c", $"sleep {StartDelay.TotalSeconds:0}; exec {RealPython.Path} -m ipykernel_launcher -f \"$0\"", "{connection_file}" },
            ["display_name"] = "Python 3 (slow to start)",
            ["language"] = "python",
        }));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var p in _spawned) { try { p.Kill(true); } catch { } p.Dispose(); }
        await _fixture.DisposeAsync();
    }

    private static CancellationToken Bound(int seconds = 90) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    private static async Task<List<SyncResult>> Collect(IAsyncEnumerable<SyncResult> results)
    {
        var list = new List<SyncResult>();
        await foreach (var r in results) list.Add(r);
        return list;
    }

    [Fact]
    public async Task A_kernel_whose_start_took_longer_than_the_idle_timeout_is_idle_only_since_it_became_ready()
    {
        await using var starter = _fixture.NewService();
        await using var culler = _fixture.NewService();
        var began = DateTimeOffset.UtcNow;
        var kernel = await starter.StartKernelAsync(new StartKernelOptions { SpecName = SlowSpec }, null, Bound());
        var ready = DateTimeOffset.UtcNow;
        Assert.True(ready - began > IdleTimeout, $"the start took {(ready - began).TotalSeconds:0.0} s, not longer than the idle timeout");

        // Another process culls idle kernels the moment the start is done: this kernel was never idle that long.
        var first = await Collect(culler.SynchronizeAsync(new SyncOptions { CullIdle = IdleTimeout }, null, null, Bound()));
        var mine = Assert.Single(first, r => r.KernelId == kernel.Id);
        Assert.True(mine.Action != SyncAction.Culled, $"culled right after a slow start: {mine.Reason}");
        Assert.Single(await culler.GetKernelsAsync(Bound()));
        var recorded = Assert.Single(await culler.GetKernelsAsync(Bound()));
        Assert.True(recorded.LastActivity >= began + StartDelay, $"idle since {recorded.LastActivity:O}, the start began {began:O}");

        // Once it has been idle that long since it was ready, the cull takes it.
        await Task.Delay(IdleTimeout + TimeSpan.FromSeconds(1));
        var later = await Collect(culler.SynchronizeAsync(new SyncOptions { CullIdle = IdleTimeout }, null, null, Bound()));
        Assert.Contains(later, r => r.KernelId == kernel.Id && r.Action == SyncAction.Culled);
        Assert.Empty(await culler.GetKernelsAsync(Bound()));
    }

    [Fact]
    public async Task A_slow_start_completed_by_a_sync_after_its_starter_died_is_idle_only_since_then()
    {
        // What Start-Kernel leaves when its PowerShell is killed while the kernel is still coming up: a Starting record
        // naming a dead starter, the connection file, and the kernel process. This start began 20 s ago.
        using var starter = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "exit 0"]))!;
        var starterStart = new DateTimeOffset(starter.StartTime.ToUniversalTime(), TimeSpan.Zero);
        starter.WaitForExit();
        var id = Guid.NewGuid().ToString();
        await using (var store = await KernelStore.OpenAsync(_fixture.DatabasePath))
        {
            await store.AddKernelAsync(new KernelRecord
            {
                Id = id, Provider = "local", SpecName = "python3", State = KernelState.Starting, CreatedAt = DateTimeOffset.UtcNow.AddSeconds(-20),
                Owner = "test", StarterPid = starter.Id, StarterStartTime = starterStart,
            });
        }
        var runtime = _fixture.Environment["JUPYTER_RUNTIME_DIR"];
        Directory.CreateDirectory(runtime);
        var file = Path.Combine(runtime, $"kernel-{id}.json");
        await ConnectionFile.WriteAsync(file, ConnectionInfo.CreateLocal("python3"), CancellationToken.None);
        var psi = new ProcessStartInfo(RealPython.Path, ["-m", "ipykernel_launcher", "-f", file]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (k, v) in _fixture.Environment) psi.Environment[k] = v;
        _spawned.Add(Process.Start(psi)!);

        await using var culler = _fixture.NewService();
        var idle = TimeSpan.FromSeconds(10);
        SyncResult? mine = null;
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(40))
        {
            mine = Assert.Single(await Collect(culler.SynchronizeAsync(new SyncOptions { CullIdle = idle }, null, null, Bound())), r => r.KernelId == id);
            if (mine.Action != SyncAction.Kept) break;
            await Task.Delay(500);
        }
        Assert.True(mine!.Action == SyncAction.Adopted, mine.ToString());

        // The next pass with the same idle timeout: the record is 20 s old, but the kernel has been ready for moments.
        var next = Assert.Single(await Collect(culler.SynchronizeAsync(new SyncOptions { CullIdle = idle }, null, null, Bound())), r => r.KernelId == id);
        Assert.True(next.Action != SyncAction.Culled, $"culled right after its start was completed: {next.Reason}");
        Assert.NotNull((await culler.GetKernelAsync(id, Bound())).LastActivity);
    }
}
