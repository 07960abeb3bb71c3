using System.Diagnostics;
using JupyterKernels.Providers.Local;
using JupyterKernels.TestKernel;
using JupyterKernels.Tests.Support;
using JupyterKernels.Processes;

namespace JupyterKernels.Tests.Local;

/// <summary>
/// A stop that returns at the kernel's acknowledgement (a notebook run's own kernel) leaves the end of the process to
/// <see cref="KernelExitWatch"/>: in this process, and after it in a detached watchdog. The test kernel's <c>linger</c>
/// makes it stay after its shutdown_reply, as a kernel with a hung teardown does. The test host's provider has a 2 s
/// shutdown wait: SIGTERM comes 1 s after the acknowledgement.
/// </summary>
[Trait("Category", "Integration")] // starts processes
public sealed class KernelExitWatchTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task The_stop_returns_at_the_acknowledgement_and_the_watch_ends_a_kernel_that_lingers()
    {
        await using var host = await TestKernelHost.StartAsync();
        var pid = await StopLingeringKernelAsync(host);

        // It acknowledged and stays (600 s of linger): the stop did not wait for it.
        Assert.Equal(ProcessStatus.Alive, ProcessIdentity.Check(pid, LocalKernelData.Of(host.Record).ProcessStartTime));
        Assert.False(File.Exists(LocalKernelData.Of(host.Record).ConnectionFile), "the connection file goes at the acknowledgement");
        Assert.True(await GoneWithinAsync(pid, Bound), "the watch ends a kernel that does not exit after its shutdown_reply");
    }

    [Fact]
    public async Task A_watch_pending_when_the_process_ends_is_carried_out_by_a_detached_watchdog()
    {
        await using var host = await TestKernelHost.StartAsync();
        var pid = await StopLingeringKernelAsync(host);
        KernelExitWatch.HandOff(pid); // what the process-exit hook does (for every watch): this process stops watching
        Assert.False(KernelExitWatch.IsWatching(pid));

        Assert.Equal(ProcessStatus.Alive, ProcessIdentity.Check(pid, null));
        Assert.True(await GoneWithinAsync(pid, Bound), "the watchdog ends the kernel once this process no longer watches it");
    }

    [Fact]
    public async Task A_kernel_that_does_not_acknowledge_is_ended_by_signals_before_the_stop_returns()
    {
        await using var host = await TestKernelHost.StartAsync();
        var pid = host.Pid!.Value;
        Assert.True(ProcessSignals.SendToGroup(pid, 19)); // SIGSTOP: no reply to shutdown_request, SIGTERM stays pending
        using var cts = new CancellationTokenSource(Bound);
        await host.Provider.ShutdownWithoutWaitingForExitAsync(host.Record, cts.Token);

        Assert.Equal(ProcessStatus.Gone, ProcessIdentity.Check(pid, null)); // SIGKILL ends even a stopped process
        Assert.False(KernelExitWatch.IsWatching(pid)); // (other tests' kernels may be watched meanwhile)
    }

    [Fact]
    public async Task The_watchdog_never_signals_a_process_that_is_not_the_one_it_was_given()
    {
        using var other = Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false })!;
        try
        {
            var ticks = KernelExitWatch.ReadStartTicks(other.Id);
            Assert.NotNull(ticks);
            // The same pid with another start time: the pid was reused by someone else's process.
            KernelExitWatch.StartWatchdog(other.Id, ticks!.Value + 1, TimeSpan.Zero, TimeSpan.Zero);
            Assert.False(await GoneWithinAsync(other.Id, TimeSpan.FromSeconds(3)), "a reused pid is left alone");

            KernelExitWatch.StartWatchdog(other.Id, ticks.Value, TimeSpan.Zero, TimeSpan.Zero);
            Assert.True(await GoneWithinAsync(other.Id, Bound), "the same process is signalled");
        }
        finally
        {
            if (!other.HasExited) other.Kill();
        }
    }

    /// <summary>Makes the kernel stay 600 s after its shutdown_reply, then stops it without waiting; returns its pid.</summary>
    private static async Task<int> StopLingeringKernelAsync(TestKernelHost host)
    {
        var result = await ExecutionResult.RunAsync(host.Client, "linger 600");
        Assert.Equal("ok", result.Reply.Status);
        using var cts = new CancellationTokenSource(Bound);
        await host.Provider.ShutdownWithoutWaitingForExitAsync(host.Record, cts.Token);
        return host.Pid!.Value;
    }

    /// <summary>Gone, or a zombie of ours (a child this test process started and has not reaped yet).</summary>
    private static async Task<bool> GoneWithinAsync(int pid, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (DateTime.UtcNow < deadline)
        {
            if (ProcessIdentity.Check(pid, null) == ProcessStatus.Gone) return true;
            await Task.Delay(50);
        }
        return false;
    }
}
