using JupyterKernels.Service;
using JupyterKernels.Providers;
using JupyterKernels.Tests.Support;
using static JupyterKernels.Tests.MultiClient.SharedKernelSupport;

namespace JupyterKernels.Tests.MultiClient;

/// <summary>
/// A kernel shared on a local ipykernel: two service instances over one store (two PowerShell processes, each with its own
/// connection) share one kernel. One's timeout must not interrupt the other's cell; one's restart must end the
/// other's call in flight with KernelRestarted, never success without outputs, never a hang.
/// </summary>
[Collection(JupyterKernels.Tests.SubShells.TimingSensitive.Name)]
[Trait("Category", "Integration")] // starts processes or servers
public sealed class SharedLocalKernelTests : IAsyncLifetime
{
    private readonly ServiceFixture _fixture = new();
    private KernelService _first = null!;
    private KernelService _second = null!;
    private string _kernelId = null!;

    public async Task InitializeAsync()
    {
        _first = _fixture.NewService();
        _second = _fixture.NewService();
        _kernelId = (await _first.StartKernelAsync(new StartKernelOptions { SpecName = "python3" }, null, Bound())).Id;
        // Both connected before the scenario starts, as two users of one kernel would be.
        Assert.Equal("ok", (await RunAsync(_first, _kernelId, "pass")).Status);
        Assert.Equal("ok", (await RunAsync(_second, _kernelId, "pass")).Status);
    }

    public async Task DisposeAsync()
    {
        await _first.DisposeAsync();
        await _second.DisposeAsync();
        await _fixture.DisposeAsync();
    }

    [Fact]
    public async Task A_timeout_while_queued_behind_another_clients_cell_does_not_interrupt_it()
    {
        var other = RunAsync(_first, _kernelId, "import time; time.sleep(6); print('other-done')");
        await Task.Delay(1500);
        var mine = await RunAsync(_second, _kernelId, "print('quick')", timeout: TimeSpan.FromSeconds(2));

        Assert.True(mine.Failure is { ErrorId: ErrorIds.ExecutionTimeout }, mine.ToString());
        Assert.Contains("queued behind other work", mine.Failure!.Message);
        Assert.Contains("not interrupted", mine.Failure.Message);
        var theirs = await other;
        Assert.True(theirs.Status == "ok" && theirs.Stdout.Contains("other-done") && theirs.Errors.Count == 0, theirs.ToString());
    }

    [Fact]
    public async Task A_timeout_of_our_own_running_cell_still_interrupts_it()
    {
        var mine = await RunAsync(_second, _kernelId, "import time; time.sleep(30)", timeout: TimeSpan.FromSeconds(2));
        Assert.True(mine.Failure is { ErrorId: ErrorIds.ExecutionTimeout }, mine.ToString());
        Assert.Contains("the kernel was interrupted", mine.Failure!.Message);
        // The kernel is free again at once: the interrupt stopped the sleep.
        var next = await RunAsync(_first, _kernelId, "print('free')", timeout: TimeSpan.FromSeconds(10));
        Assert.True(next.Status == "ok" && next.Stdout.Contains("free"), next.ToString());
    }

    [Fact]
    public async Task A_restart_by_another_process_ends_our_running_call_with_KernelRestarted()
    {
        var mine = RunAsync(_first, _kernelId, "import time; time.sleep(40); print('never')");
        await Task.Delay(1500);
        // The kernel answers that it runs a cell: another process restarts it only with -Force.
        await _second.RestartKernelAsync(_kernelId, force: true, Bound());
        var run = await mine.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(run.Failure is { ErrorId: ErrorIds.KernelRestarted }, run.ToString());
        Assert.DoesNotContain("never", run.Stdout);
        // The first process goes on with the new kernel: the process the store now records, not the old one.
        var newPid = (await _first.GetKernelAsync(_kernelId, Bound())).Pid;
        Assert.NotNull(newPid);
        var after = await RunAsync(_first, _kernelId, "import os; print('after', os.getpid())", timeout: TimeSpan.FromSeconds(30));
        Assert.True(after.Status == "ok" && after.Stdout.Contains($"after {newPid}"), after.ToString());
    }

    [Fact]
    public async Task After_a_restart_by_another_process_our_idle_connection_gives_way_to_the_new_process()
    {
        var oldPid = (await _first.GetKernelAsync(_kernelId, Bound())).Pid;
        await _second.RestartKernelAsync(_kernelId, force: false, Bound());
        var newPid = (await _first.GetKernelAsync(_kernelId, Bound())).Pid;
        Assert.NotEqual(oldPid, newPid);
        // The first process's connection (idle, to the old process) is left behind: the call runs on the new one.
        var after = await RunAsync(_first, _kernelId, "import os; print('pid', os.getpid())", timeout: TimeSpan.FromSeconds(30));
        Assert.True(after.Status == "ok" && after.Stdout.Contains($"pid {newPid}"), after.ToString());
    }

    [Fact]
    public async Task A_killed_kernel_ends_our_running_call_with_KernelDied_and_the_next_call_fails_at_once()
    {
        var pid = (await _first.GetKernelAsync(_kernelId, Bound())).Pid!.Value;
        var mine = RunAsync(_first, _kernelId, "import time; time.sleep(40); print('never')");
        await Task.Delay(1500);
        var killedAt = System.Diagnostics.Stopwatch.StartNew();
        System.Diagnostics.Process.GetProcessById(pid).Kill(); // SIGKILL: no goodbye on any channel
        var run = await mine.WaitAsync(TimeSpan.FromSeconds(30));
        var noticed = killedAt.Elapsed;

        // A death, not a restart: the store records the same process, and nobody is restarting it.
        Assert.True(run.Failure is { ErrorId: ErrorIds.KernelDied }, run.ToString());
        Assert.Contains($"its process {pid} exited", run.Failure!.Message);
        // Noticed by the process check (guarantees.md: within 5 s), never by waiting out a verdict or a timeout.
        Assert.True(noticed < TimeSpan.FromSeconds(8), $"KernelDied after {noticed.TotalSeconds:0.0} s");

        // The next call in the same process fails at once with the same death (no connect timeout), and so does the
        // other process's, whose idle connection learns it as soon as it sends.
        var next = await RunAsync(_first, _kernelId, "print('again')");
        Assert.True(next.Failure is { ErrorId: ErrorIds.KernelDied }, next.ToString());
        Assert.True(next.Took < TimeSpan.FromSeconds(8), next.ToString());
        var other = await RunAsync(_second, _kernelId, "print('other')");
        Assert.True(other.Failure is { ErrorId: ErrorIds.KernelDied }, other.ToString());
        Assert.True(other.Took < TimeSpan.FromSeconds(8), other.ToString());
    }

    [Fact]
    public async Task A_fresh_process_calling_a_killed_kernel_hears_KernelDied_at_once_not_after_its_connect_budget()
    {
        var pid = (await _first.GetKernelAsync(_kernelId, Bound())).Pid!.Value;
        using (var kernel = System.Diagnostics.Process.GetProcessById(pid))
        {
            kernel.Kill(); // SIGKILL while nobody runs code: no client of any process has seen it go
            await kernel.WaitForExitAsync(Bound());
        }
        // A process that never connected (a new pwsh): nothing in it remembers the death, the record still names the
        // dead process, and the connect budget is 30 s.
        await using var fresh = _fixture.NewService();
        var run = await RunAsync(fresh, _kernelId, "print('fresh')");
        Assert.True(run.Failure is { ErrorId: ErrorIds.KernelDied }, run.ToString());
        Assert.Contains($"its process {pid} exited", run.Failure!.Message);
        Assert.True(run.Took < TimeSpan.FromSeconds(15), run.ToString());
    }

    [Fact]
    public async Task A_restart_in_this_same_process_ends_its_own_running_call_with_KernelRestarted()
    {
        var mine = RunAsync(_first, _kernelId, "import time; time.sleep(40)");
        await Task.Delay(1500);
        await _first.RestartKernelAsync(_kernelId, force: false, Bound());
        var run = await mine.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(run.Failure is { ErrorId: ErrorIds.KernelRestarted }, run.ToString());
        Assert.Contains("This PowerShell process restarted it", run.Failure!.Message);
    }
}
