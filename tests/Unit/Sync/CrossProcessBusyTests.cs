using System.Diagnostics;
using JupyterKernels.Connections;
using JupyterKernels.Service;
using JupyterKernels.Sync;
using JupyterKernels.Store;
using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.Sync;

/// <summary>
/// Busy across processes: an execution in flight is recorded in the store, so another process
/// sees the kernel Busy and its culler keeps it (with the evidence) unless -IncludeBusy; an owner killed with SIGKILL
/// leaves a stale record that sync recognises and clears, and the kernel, still running the orphaned cell, is not
/// culled either (the activity probe asks the kernel). Real ipykernel, real store file, real processes for the owner.
/// </summary>
[Collection(JupyterKernels.Tests.SubShells.TimingSensitive.Name)]
[Trait("Category", "Integration")] // starts processes
public sealed class CrossProcessBusyTests : TwoServiceTests
{
    private async Task<IReadOnlyList<ExecutionInFlight>> WaitForExecutionRowAsync(string kernelId)
    {
        await using var store = await KernelStore.OpenAsync(Fixture.DatabasePath);
        var ct = Bound(30);
        while (true)
        {
            // A row recorded while its process still connects says "in use", not "busy": wait for the cell's own.
            var rows = (await store.ListExecutionsAsync(kernelId, ct)).Where(r => !r.IsConnecting).ToList();
            if (rows.Count > 0) return rows;
            await Task.Delay(50, ct);
        }
    }

    private async Task<List<SyncResult>> SyncAsync(KernelService service, SyncOptions options)
    {
        var list = new List<SyncResult>();
        await foreach (var r in service.SynchronizeAsync(options, null, null, Bound(60))) list.Add(r);
        return list;
    }

    [Fact]
    public async Task Culler_in_another_process_keeps_a_kernel_running_a_cell_and_culls_it_only_with_IncludeBusy()
    {
        var kernel = await A.StartKernelAsync(new StartKernelOptions { SpecName = "python3" }, null, Bound());
        var execution = await A.ExecuteAsync(kernel.Id, "import time\ntime.sleep(8)\nprint('survived')", new ExecuteOptions(), Bound());
        var row = Assert.Single(await WaitForExecutionRowAsync(kernel.Id));
        Assert.Equal(Environment.ProcessId, row.OwnerPid);
        Assert.Null(row.SubShellId);

        // B sees it busy, and its culler (idle threshold long passed: the kernel's last activity is the cell's start) keeps it.
        Assert.Equal(KernelState.Busy, (await B.GetKernelAsync(kernel.Id, Bound())).State);
        Assert.Equal(KernelState.Busy, Assert.Single(await B.GetKernelsAsync(Bound())).State);
        await Task.Delay(1500);
        var kept = Assert.Single(await SyncAsync(B, new SyncOptions { CullIdle = TimeSpan.FromSeconds(1) }));
        Assert.Equal(SyncAction.Kept, kept.Action);
        Assert.Contains("busy", kept.Reason);
        Assert.Contains(row.MsgId, kept.Reason);

        var text = new System.Text.StringBuilder();
        await foreach (var o in execution.Outputs.ReadAllAsync(Bound())) if (o is KernelStreamOutput s) text.Append(s.Text);
        Assert.Equal("ok", (await execution.Completion.WaitAsync(Bound())).Status);
        Assert.Equal("survived\n", text.ToString());

        // The row is cleared at the end, and the kernel reads Idle again everywhere.
        await using (var store = await KernelStore.OpenAsync(Fixture.DatabasePath))
        {
            var ct = Bound(10);
            while ((await store.ListExecutionsAsync(kernel.Id, ct)).Count > 0) await Task.Delay(50, ct);
        }
        Assert.Equal(KernelState.Idle, (await B.GetKernelAsync(kernel.Id, Bound())).State);

        // With -IncludeBusy the running cell does not protect it.
        var second = await A.ExecuteAsync(kernel.Id, "import time\ntime.sleep(30)", new ExecuteOptions(), Bound());
        await WaitForExecutionRowAsync(kernel.Id);
        await Task.Delay(1500);
        var culled = Assert.Single(await SyncAsync(B, new SyncOptions { CullIdle = TimeSpan.FromSeconds(1), IncludeBusy = true }));
        Assert.Equal(SyncAction.Culled, culled.Action);
        Assert.Contains("-IncludeBusy", culled.Reason);
        await Assert.ThrowsAsync<KernelException>(() => second.Completion.WaitAsync(Bound(30)));
        Assert.Empty(await B.GetKernelsAsync(Bound()));
    }

    [Fact]
    public async Task Owner_killed_mid_execution_leaves_a_stale_record_that_sync_clears_and_the_orphaned_cell_is_not_culled()
    {
        var kernel = await A.StartKernelAsync(new StartKernelOptions { SpecName = "python3" }, null, Bound());
        var info = new ProcessStartInfo(SiblingTool.DotnetHost) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(SiblingTool.DllPath("KernelCli"));
        foreach (var a in new[] { "exec", kernel.Id, "import time\ntime.sleep(12)" }) info.ArgumentList.Add(a);
        foreach (var (k, v) in Fixture.Environment) info.Environment[k] = v;
        using var owner = Process.Start(info)!;
        ExecutionInFlight row;
        try
        {
            row = Assert.Single(await WaitForExecutionRowAsync(kernel.Id));
            Assert.Equal(owner.Id, row.OwnerPid);
            Assert.Equal(KernelState.Busy, (await B.GetKernelAsync(kernel.Id, Bound())).State);
        }
        finally
        {
            owner.Kill(); // SIGKILL: no chance to clear its record
            await owner.WaitForExitAsync(Bound(10));
        }

        // The record is stale now: Get-Kernel no longer says Busy because of it; sync clears it and says so.
        Assert.NotEqual(KernelState.Busy, (await B.GetKernelAsync(kernel.Id, Bound())).State);
        await Task.Delay(1500);
        var result = Assert.Single(await SyncAsync(B, new SyncOptions { CullIdle = TimeSpan.FromSeconds(1) }));
        Assert.Contains("stale", result.Reason);
        Assert.Contains(row.MsgId, result.Reason);
        // The kernel still runs the dead owner's cell: the culler asked the kernel itself and kept it.
        Assert.Equal(SyncAction.Updated, result.Action);
        Assert.Contains("not culled: busy", result.Reason);
        await using (var store = await KernelStore.OpenAsync(Fixture.DatabasePath))
            Assert.Empty(await store.ListExecutionsAsync(kernel.Id));
        Assert.Single(await B.GetKernelsAsync(Bound()));

        // Once the orphaned cell is over, the kernel is idle and may be culled, with that evidence.
        var after = await B.ExecuteAsync(kernel.Id, "1", new ExecuteOptions(), Bound(60));
        Assert.Equal("ok", (await after.Completion.WaitAsync(Bound(60))).Status);
        await Task.Delay(2500);
        var culled = Assert.Single(await SyncAsync(B, new SyncOptions { CullIdle = TimeSpan.FromSeconds(1) }));
        Assert.Equal(SyncAction.Culled, culled.Action);
        Assert.Contains("shell answered kernel_info", culled.Reason);
    }
}
