using static JupyterKernels.Tests.Support.ExecutionDrains;
using System.Diagnostics;
using JupyterKernels.Connections;
using JupyterKernels.Service;
using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.Reliability;

/// <summary>
/// Against the real Debian ipykernel through the service the cmdlets call: a frozen
/// kernel (SIGSTOP) is reported as not responding, never as dead, and the call that waited on it finishes once it is
/// thawed; a kernel that goes idle for a request without replying ends the call with ExecutionReplyMissing instead of
/// a wait for ever.
/// </summary>
[Collection(JupyterKernels.Tests.SubShells.TimingSensitive.Name)]
public sealed class TruthfulLivenessTests : IAsyncLifetime
{
    private readonly ServiceFixture _fixture = new();

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _fixture.DisposeAsync();

    private static CancellationToken Bound(int seconds) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    [Fact]
    public async Task A_frozen_local_kernel_is_not_responding_not_dead_and_the_call_finishes_after_SIGCONT()
    {
        await using var service = _fixture.NewService();
        var kernel = await service.StartKernelAsync(new StartKernelOptions { SpecName = "python3" }, null, Bound(90));
        var pid = kernel.Pid!.Value;
        var ct = Bound(90);
        var execution = await service.ExecuteAsync(kernel.Id, "import time; time.sleep(2); print('finished', flush=True)", new ExecuteOptions(), ct);
        await Task.Delay(300);
        Process.Start("kill", ["-STOP", pid.ToString()])!.WaitForExit();
        try
        {
            // Before the fix the client gave up after three heartbeat misses (~6 s) with KernelDied. Frozen 12 s:
            // the execution must still be pending, and say the kernel is silent.
            var frozen = Stopwatch.StartNew();
            while (frozen.Elapsed < TimeSpan.FromSeconds(12))
            {
                Assert.False(execution.Completion.IsCompleted,
                    $"the execution ended while the kernel was frozen: {execution.Completion.Exception?.InnerException?.Message}");
                await Task.Delay(250);
            }
            Assert.NotNull(execution.NotRespondingSince);
        }
        finally
        {
            Process.Start("kill", ["-CONT", pid.ToString()])!.WaitForExit();
        }
        var (stdout, reply) = await DrainAsync(execution, ct);
        Assert.Equal("ok", reply.Status);
        Assert.Contains("finished", stdout);

        // No cached KernelDied: the same process drives the kernel at once, and the silence is cleared.
        var again = await service.ExecuteAsync(kernel.Id, "print(6*7)", new ExecuteOptions(), ct);
        var (out2, reply2) = await DrainAsync(again, ct);
        Assert.Equal("ok", reply2.Status);
        Assert.Contains("42", out2);
        Assert.Null(again.NotRespondingSince);
    }

    [Fact]
    public async Task A_frozen_kernel_with_a_timeout_ends_with_KernelNotResponding_and_works_after_SIGCONT()
    {
        await using var service = _fixture.NewService();
        var kernel = await service.StartKernelAsync(new StartKernelOptions { SpecName = "python3" }, null, Bound(90));
        var pid = kernel.Pid!.Value;
        var ct = Bound(90);
        await DrainAsync(await service.ExecuteAsync(kernel.Id, "1", new ExecuteOptions(), ct), ct); // connected
        Process.Start("kill", ["-STOP", pid.ToString()])!.WaitForExit();
        try
        {
            var execution = await service.ExecuteAsync(kernel.Id, "print('x')", new ExecuteOptions { Timeout = TimeSpan.FromSeconds(10) }, ct);
            var error = await Assert.ThrowsAsync<KernelException>(() => DrainAsync(execution, ct));
            Assert.Equal(ErrorIds.KernelNotResponding, error.ErrorId);
        }
        finally
        {
            Process.Start("kill", ["-CONT", pid.ToString()])!.WaitForExit();
        }
        var again = await service.ExecuteAsync(kernel.Id, "print(6*7)", new ExecuteOptions(), ct);
        var (out2, reply2) = await DrainAsync(again, ct);
        Assert.Equal("ok", reply2.Status);
        Assert.Contains("42", out2);
    }

    [Fact]
    public async Task A_kernel_killed_while_running_is_still_reported_dead()
    {
        await using var service = _fixture.NewService();
        var kernel = await service.StartKernelAsync(new StartKernelOptions { SpecName = "python3" }, null, Bound(90));
        var ct = Bound(60);
        var execution = await service.ExecuteAsync(kernel.Id, "import time; time.sleep(60)", new ExecuteOptions(), ct);
        await Task.Delay(300);
        LeakProbe.KillHard(kernel.Pid!.Value);
        var error = await Assert.ThrowsAsync<KernelException>(() => DrainAsync(execution, ct));
        Assert.Equal(ErrorIds.KernelDied, error.ErrorId);
    }

    [Fact]
    public async Task Code_with_NUL_that_ipykernel_never_answers_is_refused_before_it_is_sent()
    {
        await using var service = _fixture.NewService();
        var kernel = await service.StartKernelAsync(new StartKernelOptions { SpecName = "python3" }, null, Bound(90));
        var ct = Bound(60);
        var sw = Stopwatch.StartNew();
        // ipykernel drops such a request and goes idle without a reply: nothing is sent, so nothing is waited for.
        var error = await Assert.ThrowsAsync<KernelException>(() => service.ExecuteAsync(kernel.Id, "print(1)\0", new ExecuteOptions(), ct));
        Assert.Equal(ErrorIds.CodeInvalid, error.ErrorId);
        Assert.Equal(KernelErrorCategory.InvalidArgument, error.Category);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(2), $"took {sw.Elapsed}");

        var again = await service.ExecuteAsync(kernel.Id, "print(6*7)", new ExecuteOptions(), ct);
        var (out2, reply2) = await DrainAsync(again, ct);
        Assert.Equal("ok", reply2.Status);
        Assert.Contains("42", out2);
    }

    [Fact]
    public async Task A_request_the_kernel_goes_idle_for_without_replying_ends_with_ExecutionReplyMissing_instead_of_hanging()
    {
        await using var service = _fixture.NewService();
        var kernel = await service.StartKernelAsync(new StartKernelOptions { SpecName = ServiceFixture.TestKernelSpec }, null, Bound(90));
        var ct = Bound(60);
        var sw = Stopwatch.StartNew();
        // No Timeout: the test kernel's noreply fault publishes busy and idle but no execute_reply, as ipykernel does
        // for a request it drops; waiting on would be waiting for ever.
        var execution = await service.ExecuteAsync(kernel.Id, "fault noreply\nprint x", new ExecuteOptions(), ct);
        var error = await Assert.ThrowsAsync<KernelException>(() => DrainAsync(execution, ct));
        Assert.Equal(ErrorIds.ExecutionReplyMissing, error.ErrorId);
        Assert.Contains("execute_reply", error.Message);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(40), $"took {sw.Elapsed}");

        // The kernel is fine and the connection still usable.
        var again = await service.ExecuteAsync(kernel.Id, "print y", new ExecuteOptions(), ct);
        var (out2, reply2) = await DrainAsync(again, ct);
        Assert.Equal("ok", reply2.Status);
        Assert.Contains("y", out2);
    }
}
