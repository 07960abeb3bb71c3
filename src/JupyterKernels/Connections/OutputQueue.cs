using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;

namespace JupyterKernels.Connections;

/// <summary>
/// The outputs of one execution in arrival order: written on the connection's I/O thread, read by one consumer,
/// either asynchronously (this is a <see cref="ChannelReader{T}"/>; awaiters resume on the thread pool, so caller
/// code never runs on the I/O thread) or by a thread that blocks (<see cref="WaitToRead"/>, e.g. a PowerShell
/// pipeline thread), which the writer wakes directly. A Channel read from a blocking thread costs a thread-pool
/// hop per wake-up — about 0.3 ms of CPU on this machine (bench: roundtrip, Invoke-KernelCode path).
/// </summary>
internal sealed class OutputQueue : ChannelReader<KernelOutput>
{
    private readonly object _lock = new();
    private readonly Queue<KernelOutput> _items = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource<bool>? _asyncReader;
    // Created by the first blocking wait; set while items are queued or the queue is complete.
    private ManualResetEventSlim? _readable;
    private bool _completed;

    public override Task Completion => _drained.Task;
    public override bool CanCount => true;
    public override bool CanPeek => true;

    public override int Count
    {
        get { lock (_lock) return _items.Count; }
    }

    /// <summary>Queues an output; false once the queue is complete.</summary>
    public bool TryWrite(KernelOutput output)
    {
        TaskCompletionSource<bool>? asyncReader;
        ManualResetEventSlim? readable;
        lock (_lock)
        {
            if (_completed) return false;
            _items.Enqueue(output);
            asyncReader = TakeAsyncReader();
            readable = _readable;
        }
        // Outside the lock, so the woken reader does not wait for it. A reader that emptied the queue reset the event
        // under the lock before this enqueue, so this Set always comes after that Reset.
        readable?.Set();
        asyncReader?.TrySetResult(true);
        return true;
    }

    /// <summary>No more outputs: readers see the end once they have read what is queued.</summary>
    public void Complete()
    {
        TaskCompletionSource<bool>? asyncReader;
        ManualResetEventSlim? readable;
        bool drained;
        lock (_lock)
        {
            if (_completed) return;
            _completed = true;
            asyncReader = TakeAsyncReader();
            readable = _readable;
            drained = _items.Count == 0;
        }
        readable?.Set();
        asyncReader?.TrySetResult(!drained);
        if (drained) _drained.TrySetResult();
    }

    public override bool TryRead([MaybeNullWhen(false)] out KernelOutput item)
    {
        bool drained;
        lock (_lock)
        {
            if (!_items.TryDequeue(out item)) return false;
            drained = _items.Count == 0 && _completed;
            if (_items.Count == 0 && !_completed) _readable?.Reset();
        }
        if (drained) _drained.TrySetResult();
        return true;
    }

    public override bool TryPeek([MaybeNullWhen(false)] out KernelOutput item)
    {
        lock (_lock) return _items.TryPeek(out item);
    }

    public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled<bool>(cancellationToken);
        TaskCompletionSource<bool> waiter;
        lock (_lock)
        {
            if (_items.Count > 0) return new ValueTask<bool>(true);
            if (_completed) return new ValueTask<bool>(false);
            waiter = _asyncReader ??= new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        return new ValueTask<bool>(cancellationToken.CanBeCanceled ? waiter.Task.WaitAsync(cancellationToken) : waiter.Task);
    }

    /// <summary>
    /// Blocks the calling thread until an output can be read, the queue is complete and drained, or
    /// <paramref name="timeout"/> passes. Throws <see cref="OperationCanceledException"/> when cancelled.
    /// </summary>
    public OutputWaitResult WaitToRead(TimeSpan timeout, CancellationToken cancellationToken)
    {
        ManualResetEventSlim readable;
        lock (_lock)
        {
            if (_items.Count > 0) return OutputWaitResult.Available;
            if (_completed) return OutputWaitResult.Completed;
            readable = _readable ??= new ManualResetEventSlim(false);
        }
        long deadline = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            long remaining = deadline == long.MaxValue ? -1 : Math.Max(0, deadline - Environment.TickCount64);
            if (!readable.Wait((int)Math.Min(remaining, int.MaxValue), cancellationToken)) return OutputWaitResult.TimedOut;
            lock (_lock)
            {
                if (_items.Count > 0) return OutputWaitResult.Available;
                if (_completed) return OutputWaitResult.Completed;
                readable.Reset(); // only a second reader could get here; never spin on a stale signal
            }
        }
    }

    private TaskCompletionSource<bool>? TakeAsyncReader()
    {
        var reader = _asyncReader;
        _asyncReader = null;
        return reader;
    }
}

/// <summary>What a blocking wait for outputs ended with.</summary>
public enum OutputWaitResult
{
    /// <summary>An output can be read (<c>Outputs.TryRead</c>).</summary>
    Available,
    /// <summary>The execution is done and every output has been read.</summary>
    Completed,
    /// <summary>The timeout passed first.</summary>
    TimedOut,
}
