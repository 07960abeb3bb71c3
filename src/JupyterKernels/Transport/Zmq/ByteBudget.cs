namespace JupyterKernels.Transport.Zmq;

/// <summary>
/// Caps the bytes held in a queue, on top of the message-count high-watermark. With 1000 queued 64 KiB
/// messages the queue holds 64 MiB that survives gen0 and gets copied by the GC, which measured 2x slower
/// than libzmq; a few MiB is plenty to keep a TCP connection busy. At least one message is always admitted,
/// however large, so a single big message can never block forever. The fast path is lock-free because
/// sender and writer threads hit it once per message.
/// </summary>
internal sealed class ByteBudget
{
    /// <summary>
    /// Messages smaller than this are not charged: the count high-watermark already bounds them (1000 x 4 KiB),
    /// and skipping the shared counter keeps small-message throughput free of cross-thread contention.
    /// </summary>
    public const int MinCharged = 4096;

    public static bool IsCharged(long bytes) => bytes >= MinCharged;

    /// <summary>Default cap per queue.</summary>
    public const long DefaultLimit = 4 * 1024 * 1024;

    private readonly long _limit;
    private readonly object _lock = new();
    private long _used;
    private int _waiters;
    private TaskCompletionSource? _released;

    public ByteBudget(long limit = DefaultLimit) => _limit = limit;

    public long Used => Volatile.Read(ref _used);

    public bool TryTake(long bytes)
    {
        while (true)
        {
            long used = Volatile.Read(ref _used);
            if (used > 0 && used + bytes > _limit) return false;
            if (Interlocked.CompareExchange(ref _used, used + bytes, used) == used) return true;
        }
    }

    /// <summary>Waits (cancellably) until the bytes fit, then takes them.</summary>
    public ValueTask TakeAsync(long bytes, CancellationToken ct)
        => TryTake(bytes) ? ValueTask.CompletedTask : TakeSlowAsync(bytes, ct);

    private async ValueTask TakeSlowAsync(long bytes, CancellationToken ct)
    {
        while (true)
        {
            Task wait;
            lock (_lock)
            {
                _released ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _released.Task;
                Interlocked.Increment(ref _waiters);
            }
            try
            {
                // Re-check after announcing ourselves, so a release in between cannot be missed.
                if (TryTake(bytes)) return;
                await wait.WaitAsync(ct).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref _waiters);
            }
            if (TryTake(bytes)) return;
        }
    }

    public void Release(long bytes)
    {
        Interlocked.Add(ref _used, -bytes);
        if (Volatile.Read(ref _waiters) == 0) return;
        TaskCompletionSource? wake;
        lock (_lock)
        {
            wake = _released;
            _released = null;
        }
        wake?.TrySetResult();
    }
}
