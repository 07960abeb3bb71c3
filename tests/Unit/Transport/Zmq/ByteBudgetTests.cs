using JupyterKernels.Transport.Zmq;

namespace JupyterKernels.Tests.Zmtp;

public class ByteBudgetTests
{
    [Fact]
    public async Task Admits_one_oversized_item_then_waits_for_release()
    {
        var b = new ByteBudget(100);
        Assert.True(b.TryTake(500));      // always admits when empty
        Assert.False(b.TryTake(1));
        var waiting = b.TakeAsync(50, T.Token()).AsTask();
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);
        b.Release(500);
        await waiting.WaitAsync(T.Timeout);
        Assert.Equal(50, b.Used);
    }

    [Fact]
    public async Task Waiting_is_cancellable()
    {
        var b = new ByteBudget(10);
        Assert.True(b.TryTake(10));
        using var cts = new CancellationTokenSource(100);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await b.TakeAsync(5, cts.Token));
        Assert.Equal(10, b.Used);
    }

    [Fact]
    public async Task Concurrent_take_and_release_balance()
    {
        var b = new ByteBudget(1000);
        var tasks = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            for (int i = 0; i < 5000; i++)
            {
                await b.TakeAsync(300, T.Token(30));
                b.Release(300);
            }
        })).ToArray();
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, b.Used);
    }
}
