using static JupyterKernels.Tests.Support.ExecutionDrains;
using System.Diagnostics;
using JupyterKernels.Connections;
using JupyterKernels.Service;
using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.Reliability;

/// <summary>
/// A timeout (or Ctrl+C) that expires while the real Debian ipykernel is frozen (SIGSTOP) sends nothing to it: an
/// interrupt would wait in the stopped process and, once it continues, stop the cell it runs and make ipykernel abort
/// the request another client queued meanwhile. The caller's error says the kernel was left alone; after SIGCONT the
/// old cell finishes and the other client's request runs.
/// </summary>
[Collection(JupyterKernels.Tests.SubShells.TimingSensitive.Name)]
[Trait("Category", "Integration")]
public sealed class FrozenKernelTimeoutTests : IAsyncLifetime
{
    private readonly ServiceFixture _fixture = new();

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _fixture.DisposeAsync();

    private static CancellationToken Bound(int seconds) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Giving_up_on_a_frozen_kernel_interrupts_nothing_and_another_clients_queued_request_runs_after_it_thaws(bool byCancel)
    {
        await using var first = _fixture.NewService();
        await using var second = _fixture.NewService(); // another process's connection to the same kernel
        var kernel = await first.StartKernelAsync(new StartKernelOptions { SpecName = "python3" }, null, Bound(90));
        var pid = kernel.Pid!.Value;
        var ct = Bound(120);
        await DrainAsync(await second.ExecuteAsync(kernel.Id, "1", new ExecuteOptions(), ct), ct); // connected

        using var cancel = new CancellationTokenSource();
        var options = byCancel ? new ExecuteOptions() : new ExecuteOptions { Timeout = TimeSpan.FromSeconds(4) };
        var slow = await first.ExecuteAsync(kernel.Id, "import time; time.sleep(6); print('slept', flush=True)", options, cancel.Token);
        await Task.Delay(1000); // the cell runs
        Process.Start("kill", ["-STOP", pid.ToString()])!.WaitForExit();
        KernelExecution queued;
        try
        {
            queued = await second.ExecuteAsync(kernel.Id, "print(6*7)", new ExecuteOptions(), ct);
            if (byCancel)
            {
                await Task.Delay(3000);
                cancel.Cancel();
            }
            var error = await Assert.ThrowsAsync<KernelException>(() => DrainAsync(slow, ct));
            // Whether the heartbeat has missed enough to call it silent yet decides which of the two timeouts it is.
            Assert.Contains(error.ErrorId, byCancel ? [ErrorIds.ExecutionCancelled] : new[] { ErrorIds.KernelNotResponding, ErrorIds.ExecutionTimeout });
            Assert.Contains("not interrupted", error.Message);
            Assert.Contains("stopped", error.Message);
        }
        finally
        {
            Process.Start("kill", ["-CONT", pid.ToString()])!.WaitForExit();
        }

        var (stdout, reply) = await DrainAsync(queued, ct);
        Assert.Equal("ok", reply.Status);
        Assert.Contains("42", stdout);
        var (again, againReply) = await DrainAsync(await first.ExecuteAsync(kernel.Id, "print('next')", new ExecuteOptions(), ct), ct);
        Assert.Equal("ok", againReply.Status);
        Assert.Contains("next", again);
    }

    [Fact]
    public async Task Interrupting_a_stopped_kernel_sends_nothing_and_says_so()
    {
        await using var service = _fixture.NewService();
        var kernel = await service.StartKernelAsync(new StartKernelOptions { SpecName = "python3" }, null, Bound(90));
        var pid = kernel.Pid!.Value;
        var ct = Bound(90);
        var slow = await service.ExecuteAsync(kernel.Id, "import time; time.sleep(3); print('slept', flush=True)", new ExecuteOptions(), ct);
        await Task.Delay(1000);
        Process.Start("kill", ["-STOP", pid.ToString()])!.WaitForExit();
        try
        {
            await UntilStoppedAsync(pid); // the stop takes effect when the kernel is next scheduled (slow under load)
            var error = await Assert.ThrowsAsync<KernelException>(() => service.InterruptKernelAsync(kernel.Id, ct));
            Assert.Equal(ErrorIds.KernelInterruptFailed, error.ErrorId);
            Assert.Contains("stopped", error.Message);
        }
        finally
        {
            Process.Start("kill", ["-CONT", pid.ToString()])!.WaitForExit();
        }
        var (stdout, reply) = await DrainAsync(slow, ct);
        Assert.Equal("ok", reply.Status); // no KeyboardInterrupt waited in it
        Assert.Contains("slept", stdout);
    }

    private static async Task UntilStoppedAsync(int pid)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            if (stat[stat.LastIndexOf(')') + 2] is 'T' or 't') return;
            await Task.Delay(20);
        }
        Assert.Fail($"process {pid} did not stop within 10 s of SIGSTOP");
    }
}
