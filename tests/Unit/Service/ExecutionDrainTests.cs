using JupyterKernels.Connections;
using JupyterKernels.Service;

namespace JupyterKernels.Tests.Service;

/// <summary>The core's reconciliation of an execution's outputs with its completion (what Invoke-KernelCode writes at
/// the end), without a kernel: the outputs and the reply are fed by hand.</summary>
public class ExecutionDrainTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(20);

    private static KernelStreamOutput Text(string text) => new() { KernelId = "k", Name = "stdout", Text = text };

    private static KernelExecuteReply Reply(string status) => new() { KernelId = "k", Status = status, ExecutionCount = 1 };

    // The caller's blocking wait, as a cmdlet's Block runs it (here: on the calling thread, no token).
    private static OutputWaitResult Block(Func<CancellationToken, OutputWaitResult> wait) => wait(CancellationToken.None);

    private static List<string?> ReadAll(ExecutionDrain drain)
    {
        var steps = new List<string?>();
        while (drain.TryNext(Block, Interval, out var output)) steps.Add(output is KernelStreamOutput s ? s.Text : null);
        return steps;
    }

    [Fact]
    public async Task Outputs_come_in_order_with_a_tick_after_each_batch_then_the_reply_without_errors()
    {
        var queue = new OutputQueue();
        queue.TryWrite(Text("a"));
        queue.TryWrite(Text("b"));
        queue.Complete();
        var drain = new ExecutionDrain(new KernelExecution("k", "m", queue, Task.FromResult(Reply("ok"))));

        Assert.Equal(new[] { "a", "b", null }, ReadAll(drain));
        var outcome = await drain.EndAsync();
        Assert.Equal("ok", outcome.Reply.Status);
        Assert.Empty(outcome.Errors);
    }

    [Fact]
    public void A_silent_interval_is_a_tick_and_the_reading_goes_on()
    {
        var queue = new OutputQueue();
        var drain = new ExecutionDrain(new KernelExecution("k", "m", queue, Task.FromResult(Reply("ok"))));
        Assert.True(drain.TryNext(Block, Interval, out var first));
        Assert.Null(first);
        queue.TryWrite(Text("late"));
        Assert.True(drain.TryNext(Block, Interval, out var second));
        Assert.Equal("late", Assert.IsType<KernelStreamOutput>(second).Text);
        queue.Complete();
        Assert.True(drain.TryNext(Block, Interval, out var tick));
        Assert.Null(tick);
        Assert.False(drain.TryNext(Block, Interval, out _));
    }

    [Fact]
    public async Task An_aborted_reply_ends_with_ExecutionAborted()
    {
        var queue = new OutputQueue();
        queue.Complete();
        var drain = new ExecutionDrain(new KernelExecution("k", "m", queue, Task.FromResult(Reply("aborted"))));
        ReadAll(drain);
        var outcome = await drain.EndAsync();
        Assert.Equal("aborted", outcome.Reply.Status);
        Assert.Equal(ErrorIds.ExecutionAborted, Assert.IsType<KernelException>(Assert.Single(outcome.Errors)).ErrorId);
    }

    [Fact]
    public async Task A_write_failure_is_reported_after_the_reply_before_the_aborted_status()
    {
        var queue = new OutputQueue();
        queue.TryWrite(Text("a"));
        queue.Complete();
        var drain = new ExecutionDrain(new KernelExecution("k", "m", queue, Task.FromResult(Reply("aborted"))));
        Assert.True(drain.TryNext(Block, Interval, out _));
        var failure = new InvalidOperationException("the write failed");
        drain.Fail(failure);
        Assert.False(drain.TryNext(Block, Interval, out _));
        var outcome = await drain.EndAsync();
        Assert.Same(failure, outcome.Errors[0]);
        Assert.Equal(ErrorIds.ExecutionAborted, Assert.IsType<KernelException>(outcome.Errors[1]).ErrorId);
    }

    [Fact]
    public async Task A_failed_completion_is_the_one_failure_reported()
    {
        var queue = new OutputQueue();
        queue.Complete();
        var died = new KernelException(ErrorIds.KernelDied, KernelErrorCategory.ResourceUnavailable, "kernel died", "k");
        var drain = new ExecutionDrain(new KernelExecution("k", "m", queue, Task.FromException<KernelExecuteReply>(died)));
        ReadAll(drain);
        drain.Fail(new InvalidOperationException("same cause, seen on the outputs"));
        Assert.Same(died, await Assert.ThrowsAsync<KernelException>(() => drain.EndAsync()));
    }

    [Fact]
    public void The_callers_cancellation_of_its_wait_propagates()
    {
        var queue = new OutputQueue();
        var drain = new ExecutionDrain(new KernelExecution("k", "m", queue, new TaskCompletionSource<KernelExecuteReply>().Task));
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => drain.TryNext(wait => wait(cts.Token), Interval, out _));
    }
}
