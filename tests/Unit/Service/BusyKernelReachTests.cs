using System.Diagnostics;
using JupyterKernels.Connections;
using JupyterKernels.Service;
using JupyterKernels.Sync;
using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.Service;

/// <summary>
/// A second "process" (a second service instance: its own store handle and its own
/// connection) reaches a kernel whose main shell another one keeps busy. Readiness comes from control, so the second
/// connection does not wait for the running cell; shell requests queue behind it; interrupt and subshell requests
/// travel on the second process's one connection.
/// </summary>
[Collection(JupyterKernels.Tests.SubShells.TimingSensitive.Name)]
[Trait("Category", "Integration")] // starts processes
public sealed class BusyKernelReachTests : TwoServiceTests
{
    private static async Task<(string Stdout, KernelExecuteReply Reply)> RunAsync(IKernelService service, string kernelId, string code, string? subShell = null)
    {
        var ct = Bound();
        var execution = await service.ExecuteAsync(kernelId, code, new ExecuteOptions { SubShellId = subShell }, ct);
        var text = new System.Text.StringBuilder();
        await foreach (var o in execution.Outputs.ReadAllAsync(ct)) if (o is KernelStreamOutput s) text.Append(s.Text);
        return (text.ToString(), await execution.Completion.WaitAsync(ct));
    }

    /// <summary>Waits until the kernel has started running A's cell (its busy status), so B surely connects to a busy kernel.</summary>
    private static async Task<Task<(string, KernelExecuteReply)>> StartBusyAsync(IKernelService service, string kernelId, string code, string marker)
    {
        var ct = Bound();
        var execution = await service.ExecuteAsync(kernelId, code, new ExecuteOptions(), ct);
        var text = new System.Text.StringBuilder();
        var sawMarker = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = Task.Run(async () =>
        {
            await foreach (var o in execution.Outputs.ReadAllAsync(ct))
                if (o is KernelStreamOutput s) { text.Append(s.Text); if (text.ToString().Contains(marker)) sawMarker.TrySetResult(); }
            sawMarker.TrySetResult();
            return (text.ToString(), await execution.Completion.WaitAsync(ct));
        });
        await sawMarker.Task.WaitAsync(ct);
        return run;
    }

    [Fact]
    public async Task Subshell_from_a_fresh_process_answers_while_another_process_keeps_the_main_shell_busy()
    {
        var kernel = await A.StartKernelAsync(new StartKernelOptions { SpecName = ServiceFixture.TestKernelSpec }, null, Bound());
        var main = await StartBusyAsync(A, kernel.Id, "print started\nsleep 10\nprint main done", "started");

        var sw = Stopwatch.StartNew();
        var sub = await B.CreateSubShellAsync(kernel.Id, Bound());
        var (stdout, reply) = await RunAsync(B, kernel.Id, "subshell", sub.SubShellId);
        var elapsed = sw.Elapsed;
        Assert.Equal("ok", reply.Status);
        Assert.Equal(sub.SubShellId + "\n", stdout);
        // Ordering, not speed: B's subshell answered while A's 10 s cell was still running.
        Assert.False(main.IsCompleted, $"the subshell answered only after the main cell ({elapsed.TotalMilliseconds:0} ms)");
        Assert.Contains(await B.GetSubShellsAsync(kernel.Id, Bound()), s => s.SubShellId == sub.SubShellId);
        await B.DeleteSubShellAsync(kernel.Id, sub.SubShellId, Bound());
        Assert.False(main.IsCompleted);

        // B's main-shell request queues behind A's cell and completes after it.
        var (queued, queuedReply) = await RunAsync(B, kernel.Id, "print from b");
        Assert.Equal("ok", queuedReply.Status);
        Assert.Equal("from b\n", queued);
        var (mainOut, mainReply) = await main;
        Assert.Equal("started\nmain done\n", mainOut);
        Assert.True(queuedReply.ExecutionCount > mainReply.ExecutionCount, $"B ran as {queuedReply.ExecutionCount}, A as {mainReply.ExecutionCount}");
    }

    [Fact]
    public async Task Ipykernel_request_from_a_fresh_process_queues_behind_a_busy_cell_instead_of_timing_out()
    {
        var kernel = await A.StartKernelAsync(new StartKernelOptions { SpecName = "python3" }, null, Bound());
        var main = await StartBusyAsync(A, kernel.Id, "import time\nprint('started', flush=True)\ntime.sleep(6)\na_done = True", "started");

        // a_done exists only once A's cell has finished: B's request ran after it, it did not fail or time out.
        var (stdout, reply) = await RunAsync(B, kernel.Id, "print(a_done)");
        Assert.Equal("ok", reply.Status);
        Assert.Equal("True\n", stdout);
        Assert.Equal("ok", (await main).Item2.Status);
    }

    [Fact]
    public async Task Interrupt_from_a_second_process_ends_the_first_process_cell_and_the_kernel_stays_usable()
    {
        var kernel = await A.StartKernelAsync(new StartKernelOptions { SpecName = "python3" }, null, Bound());
        var main = await StartBusyAsync(A, kernel.Id, "import time\nprint('started', flush=True)\ntime.sleep(60)", "started");

        await B.InterruptKernelAsync(kernel.Id, Bound());
        var (_, reply) = await main.WaitAsync(Bound(30));
        Assert.Equal("error", reply.Status);
        var after = await RunAsync(A, kernel.Id, "print(6*7)");
        Assert.Equal("ok", after.Reply.Status);
        Assert.Equal("42\n", after.Stdout);
    }

    [Fact]
    public async Task Message_mode_interrupt_travels_on_the_process_connection()
    {
        // The test kernel's spec says interrupt_mode "message": interrupt_request on control, on B's one connection.
        var kernel = await A.StartKernelAsync(new StartKernelOptions { SpecName = ServiceFixture.TestKernelSpec }, null, Bound());
        var main = await StartBusyAsync(A, kernel.Id, "print started\nsleep 60", "started");
        await B.InterruptKernelAsync(kernel.Id, Bound());
        var (_, reply) = await main.WaitAsync(Bound(30));
        Assert.Equal("error", reply.Status);
        Assert.Equal("ok", (await RunAsync(B, kernel.Id, "print ok")).Reply.Status);
    }
}
