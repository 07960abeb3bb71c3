using System.Diagnostics;
using JupyterKernels.Connections;

namespace JupyterKernels.Tests.Outputs;

/// <summary>The execution's output queue: one writer (the I/O thread), one reader that either awaits or blocks.</summary>
public sealed class OutputQueueTests
{
    private static KernelStreamOutput Line(int i) => new() { KernelId = "k", Name = "stdout", Text = $"{i}\n" };

    [Fact]
    public void A_blocked_reader_is_woken_by_a_writer_thread_and_reads_everything_in_order()
    {
        var queue = new OutputQueue();
        var writer = new Thread(() =>
        {
            for (int i = 0; i < 1000; i++)
            {
                queue.TryWrite(Line(i));
                if (i % 100 == 0) Thread.Sleep(1); // let the reader block now and then
            }
            queue.Complete();
        });
        writer.Start();
        var read = new List<string>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (queue.WaitToRead(Timeout.InfiniteTimeSpan, cts.Token) == OutputWaitResult.Available)
            while (queue.TryRead(out var o)) read.Add(((KernelStreamOutput)o).Text);
        writer.Join();
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => $"{i}\n"), read);
        Assert.True(queue.Completion.IsCompletedSuccessfully);
        Assert.Equal(OutputWaitResult.Completed, queue.WaitToRead(TimeSpan.Zero, CancellationToken.None));
    }

    [Fact]
    public void A_blocking_wait_times_out_and_is_cancellable()
    {
        var queue = new OutputQueue();
        var sw = Stopwatch.StartNew();
        Assert.Equal(OutputWaitResult.TimedOut, queue.WaitToRead(TimeSpan.FromMilliseconds(100), CancellationToken.None));
        Assert.InRange(sw.ElapsedMilliseconds, 90, 5000);

        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        sw.Restart();
        Assert.ThrowsAny<OperationCanceledException>(() => queue.WaitToRead(Timeout.InfiniteTimeSpan, cts.Token));
        Assert.InRange(sw.ElapsedMilliseconds, 50, 5000);

        // After a timeout the reader still gets what comes later.
        queue.TryWrite(Line(1));
        Assert.Equal(OutputWaitResult.Available, queue.WaitToRead(TimeSpan.Zero, CancellationToken.None));
    }

    [Fact]
    public async Task An_async_reader_resumes_off_the_writer_thread()
    {
        var queue = new OutputQueue();
        int writerThread = 0;
        var resumedOn = new List<int>();
        var reading = Task.Run(async () =>
        {
            var texts = new List<string>();
            await foreach (var o in queue.ReadAllAsync())
            {
                resumedOn.Add(Environment.CurrentManagedThreadId);
                texts.Add(((KernelStreamOutput)o).Text);
            }
            return texts;
        });
        await Task.Delay(50); // the reader is waiting
        var writer = new Thread(() =>
        {
            writerThread = Environment.CurrentManagedThreadId;
            for (int i = 0; i < 3; i++) { queue.TryWrite(Line(i)); Thread.Sleep(20); }
            queue.Complete();
        });
        writer.Start();
        var read = await reading.WaitAsync(TimeSpan.FromSeconds(30));
        writer.Join();
        Assert.Equal(new[] { "0\n", "1\n", "2\n" }, read);
        Assert.DoesNotContain(writerThread, resumedOn);
        await queue.Completion.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Completion_waits_for_the_reader_to_drain_and_writes_after_the_end_are_refused()
    {
        var queue = new OutputQueue();
        Assert.True(queue.TryWrite(Line(1)));
        queue.Complete();
        queue.Complete(); // idempotent
        Assert.False(queue.TryWrite(Line(2)));
        Assert.False(queue.Completion.IsCompleted);
        Assert.Equal(1, queue.Count);
        Assert.True(queue.TryPeek(out var peeked));
        Assert.True(await queue.WaitToReadAsync());
        Assert.True(queue.TryRead(out var read));
        Assert.Same(peeked, read);
        Assert.False(queue.TryRead(out _));
        Assert.True(queue.Completion.IsCompletedSuccessfully);
        Assert.False(await queue.WaitToReadAsync());
    }

    [Fact]
    public async Task A_cancelled_async_wait_throws_and_a_later_wait_still_works()
    {
        var queue = new OutputQueue();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await queue.WaitToReadAsync(cts.Token));
        var wait = queue.WaitToReadAsync().AsTask();
        queue.TryWrite(Line(7));
        Assert.True(await wait.WaitAsync(TimeSpan.FromSeconds(5)));
    }
}
