using JupyterKernels.Connections;
using JupyterKernels.Service;
using JupyterKernels.Sync;
using JupyterKernels.Tests.Support;
using static JupyterKernels.Tests.MultiClient.SharedKernelSupport;

namespace JupyterKernels.Tests.MultiClient;

/// <summary>
/// A local ipykernel shared with another Jupyter client that records nothing in our store (peers/console_client.py:
/// jupyter_client's BlockingKernelClient, what `jupyter console --existing` uses). Stop asks the kernel itself, the
/// culler sees the other client's connections, and a frozen kernel is reported within seconds.
/// </summary>
[Collection(JupyterKernels.Tests.SubShells.TimingSensitive.Name)]
[Trait("Category", "Integration")] // starts processes or servers
public sealed class OtherClientsLocalTests : IAsyncLifetime
{
    private readonly ServiceFixture _fixture = new();
    private KernelService _service = null!;
    private Kernel _kernel = null!;

    public async Task InitializeAsync()
    {
        _service = _fixture.NewService();
        _kernel = await _service.StartKernelAsync(new StartKernelOptions { SpecName = "python3" }, null, Bound());
    }

    public async Task DisposeAsync()
    {
        if (_kernel?.Pid is int pid) Signal("CONT", pid);
        await _service.DisposeAsync();
        await _fixture.DisposeAsync();
    }

    private OtherClientPeer Console(string code, int holdSeconds = 0)
        => OtherClientPeer.Start("console_client.py", _kernel.ConnectionFile!, "exec", code, holdSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public async Task Stop_and_restart_refuse_while_a_console_client_runs_a_cell()
    {
        await using var console = Console("import time; time.sleep(8); print('console-done')");
        await console.WaitForAsync("event", "started");
        await using var fresh = _fixture.NewService(); // a new PowerShell process: nothing of its own on the kernel

        var stop = await Assert.ThrowsAsync<KernelException>(() => fresh.StopKernelAsync(_kernel.Id, force: false, Bound()));
        Assert.Equal(ErrorIds.KernelBusy, stop.ErrorId);
        Assert.Contains("another client", stop.Message);
        Assert.Contains("shell did not answer", stop.Message);
        var restart = await Assert.ThrowsAsync<KernelException>(() => fresh.RestartKernelAsync(_kernel.Id, force: false, Bound()));
        Assert.Equal(ErrorIds.KernelBusy, restart.ErrorId);

        var result = await console.WaitForAsync("status");
        Assert.True(result.GetProperty("stdout").GetString()!.Contains("console-done"), result.GetRawText());
    }

    [Fact]
    public async Task The_culler_keeps_a_kernel_a_console_client_is_connected_to_unless_IncludeConnected()
    {
        await using var console = Console("print('hello from console')", holdSeconds: 60);
        await console.WaitForAsync("event", "holding");
        await Task.Delay(1500);
        await using var sync = _fixture.NewService();

        var kept = await Collect(sync.SynchronizeAsync(new SyncOptions { CullIdle = TimeSpan.FromSeconds(1) }, null, null, Bound()));
        var mine = Assert.Single(kept, r => r.KernelId == _kernel.Id);
        Assert.True(mine.Action == SyncAction.Kept, $"{mine.Action}: {mine.Reason}");
        Assert.Contains("other client", mine.Reason);
        Assert.Contains($"process {console.Pid}", mine.Reason);
        Assert.Contains("-IncludeConnected", mine.Reason);

        var culled = await Collect(sync.SynchronizeAsync(new SyncOptions { CullIdle = TimeSpan.FromSeconds(1), IncludeConnected = true }, null, null, Bound()));
        Assert.Equal(SyncAction.Culled, Assert.Single(culled, r => r.KernelId == _kernel.Id).Action);
    }

    [Fact]
    public async Task A_frozen_kernel_met_by_a_new_process_is_reported_within_seconds_and_Timeout_bounds_the_wait()
    {
        Signal("STOP", _kernel.Pid!.Value);
        await using var fresh = _fixture.NewService(); // ConnectTimeout stays its default (30 s)
        var warnings = new List<(TimeSpan At, KernelWarning Warning)>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var sink = new Sink(w => { lock (warnings) warnings.Add((clock.Elapsed, w)); });

        var e = await Assert.ThrowsAsync<KernelException>(() => fresh.ExecuteAsync(_kernel.Id, "1", new ExecuteOptions { Timeout = TimeSpan.FromSeconds(8), Warnings = sink }, Bound()));
        var took = clock.Elapsed;

        Assert.Equal(ErrorIds.KernelNotResponding, e.ErrorId);
        Assert.True(took < TimeSpan.FromSeconds(20), $"the call took {took}, not the 8 s of its -Timeout");
        lock (warnings)
        {
            var (at, warning) = Assert.Single(warnings);
            Assert.Equal(ErrorIds.KernelNotResponding, warning.WarningId);
            Assert.Contains(_kernel.Id, warning.Message);
            Assert.True(at < TimeSpan.FromSeconds(6), $"the warning came after {at}");
        }
        Signal("CONT", _kernel.Pid!.Value);
    }

    private static void Signal(string signal, int pid)
        => System.Diagnostics.Process.Start("kill", new[] { "-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture) })!.WaitForExit();

    private sealed class Sink(Action<KernelWarning> add) : IProgress<KernelWarning>
    {
        public void Report(KernelWarning value) => add(value);
    }

    private static async Task<List<SyncResult>> Collect(IAsyncEnumerable<SyncResult> results)
    {
        var list = new List<SyncResult>();
        await foreach (var r in results) list.Add(r);
        return list;
    }
}
