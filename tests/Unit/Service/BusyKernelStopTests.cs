using System.Diagnostics;
using JupyterKernels.Providers.Local;
using JupyterKernels.Service;
using JupyterKernels.Store;
using JupyterKernels.Sync;
using JupyterKernels.Tests.Support;
using JupyterKernels.Processes;

namespace JupyterKernels.Tests.Service;

/// <summary>
/// Nothing ends another's running work unasked: stop, restart and session removal refuse a kernel on which another
/// live process runs code, as the store records it. The other process is a real one (a <c>sleep</c>), its execution row
/// the one it would have written (see KernelService.Activity); the cross-process Pester tests run real cells.
/// </summary>
[Trait("Category", "Integration")] // starts processes
public sealed class BusyKernelStopTests : TwoServiceTests
{
    private async Task<(Kernel Kernel, Process Other)> KernelRunningCodeOfAnotherProcessAsync(string? sessionName = null)
    {
        var kernel = sessionName is null
            ? await A.StartKernelAsync(new StartKernelOptions { SpecName = ServiceFixture.TestKernelSpec }, null, Bound())
            : await A.GetKernelAsync((await A.NewSessionAsync(sessionName, ServiceFixture.TestKernelSpec, null, null, null, Bound())).KernelId, Bound());
        var other = Process.Start(new ProcessStartInfo("sleep", "120") { UseShellExecute = false })!;
        await using var store = await KernelStore.OpenAsync(Fixture.DatabasePath);
        Assert.True(await store.BeginExecutionAsync(new ExecutionInFlight("msg-of-other", kernel.Id, null, other.Id,
            ProcessIdentity.TryGetStartTime(other.Id), DateTimeOffset.UtcNow)));
        return (kernel, other);
    }

    private static void End(Process p)
    {
        if (!p.HasExited) p.Kill();
        p.WaitForExit(10_000);
        p.Dispose();
    }

    [Fact]
    public async Task Stop_refuses_with_KernelBusy_naming_the_process_and_force_stops()
    {
        var (kernel, other) = await KernelRunningCodeOfAnotherProcessAsync();
        try
        {
            var refused = await Assert.ThrowsAsync<KernelException>(() => B.StopKernelAsync(kernel.Id, force: false, Bound()));
            Assert.Equal(ErrorIds.KernelBusy, refused.ErrorId);
            Assert.Equal(KernelErrorCategory.ResourceBusy, refused.Category);
            Assert.Contains($"execution msg-of-other", refused.Message);
            Assert.Contains($"by process {other.Id}", refused.Message);
            Assert.Equal(KernelState.Busy, (await B.GetKernelAsync(kernel.Id, Bound())).State);

            await B.StopKernelAsync(kernel.Id, force: true, Bound());
            Assert.DoesNotContain(await B.GetKernelsAsync(Bound()), k => k.Id == kernel.Id);
        }
        finally { End(other); }
    }

    [Fact]
    public async Task Restart_refuses_with_KernelBusy_and_force_restarts()
    {
        var (kernel, other) = await KernelRunningCodeOfAnotherProcessAsync();
        try
        {
            var refused = await Assert.ThrowsAsync<KernelException>(() => B.RestartKernelAsync(kernel.Id, force: false, Bound()));
            Assert.Equal(ErrorIds.KernelBusy, refused.ErrorId);
            Assert.NotEqual(KernelState.Restarting, (await B.GetKernelAsync(kernel.Id, Bound())).State);

            var restarted = await B.RestartKernelAsync(kernel.Id, force: true, Bound());
            Assert.Equal(kernel.Id, restarted.Id);
        }
        finally { End(other); }
    }

    [Fact]
    public async Task Session_removal_refuses_and_keeps_the_session_unless_forced_or_the_kernel_is_kept()
    {
        var (kernel, other) = await KernelRunningCodeOfAnotherProcessAsync("busy");
        try
        {
            var refused = await Assert.ThrowsAsync<KernelException>(() => B.RemoveSessionAsync("busy", stopKernel: true, force: false, Bound()));
            Assert.Equal(ErrorIds.KernelBusy, refused.ErrorId);
            Assert.Contains(await B.GetSessionsAsync(Bound()), s => s.Name == "busy");

            await B.RemoveSessionAsync("busy", stopKernel: false, force: false, Bound()); // the kernel stays: nothing refused
            Assert.DoesNotContain(await B.GetSessionsAsync(Bound()), s => s.Name == "busy");
            Assert.Contains(await B.GetKernelsAsync(Bound()), k => k.Id == kernel.Id);
        }
        finally { End(other); }
    }

    [Fact]
    public async Task Executions_of_this_process_or_of_a_process_that_is_gone_do_not_refuse()
    {
        var kernel = await A.StartKernelAsync(new StartKernelOptions { SpecName = ServiceFixture.TestKernelSpec }, null, Bound());
        var gone = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        var goneStart = ProcessIdentity.TryGetStartTime(gone.Id);
        gone.WaitForExit();
        await using (var store = await KernelStore.OpenAsync(Fixture.DatabasePath))
        {
            Assert.True(await store.BeginExecutionAsync(new ExecutionInFlight("msg-of-this", kernel.Id, null, ExecutionOwners.ThisPid, ExecutionOwners.ThisStartTime, DateTimeOffset.UtcNow)));
            Assert.True(await store.BeginExecutionAsync(new ExecutionInFlight("msg-of-gone", kernel.Id, null, gone.Id, goneStart ?? DateTimeOffset.UtcNow, DateTimeOffset.UtcNow)));
        }
        await B.StopKernelAsync(kernel.Id, force: false, Bound());
        Assert.DoesNotContain(await B.GetKernelsAsync(Bound()), k => k.Id == kernel.Id);
    }
}
