namespace JupyterKernels.Bench.Benchmarks;

/// <summary>
/// This process's threads from /proc/self/task (Linux): all of them, and those of our transport, recognised by name
/// (the transport names its threads "ZMTP ..."; Linux keeps the first 15 bytes). A sampler keeps the peak while the
/// benchmark works, because the per-socket waiter threads of the transport end when idle.
/// </summary>
internal readonly record struct ThreadCensus(int Total, int Transport)
{
    public const string TransportPrefix = "ZMTP";

    public static bool Available => Directory.Exists("/proc/self/task");

    public static ThreadCensus Take()
    {
        if (!Available) return new ThreadCensus(-1, -1);
        int total = 0, transport = 0;
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            total++;
            try
            {
                if (File.ReadAllText(Path.Combine(task, "comm")).StartsWith(TransportPrefix, StringComparison.Ordinal)) transport++;
            }
            catch (IOException) { /* the thread ended meanwhile */ }
            catch (UnauthorizedAccessException) { }
        }
        return new ThreadCensus(total, transport);
    }
}

/// <summary>Takes a <see cref="ThreadCensus"/> every <c>interval</c> while running and keeps the peaks.</summary>
internal sealed class ThreadPeakSampler : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private volatile bool _paused;
    private int _peakTotal, _peakTransport;

    public ThreadPeakSampler(TimeSpan interval)
    {
        _loop = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(interval);
            try
            {
                do
                {
                    if (_paused) continue;
                    Observe(ThreadCensus.Take());
                } while (await timer.WaitForNextTickAsync(_stop.Token));
            }
            catch (OperationCanceledException) { }
        });
    }

    public int PeakTotal => Volatile.Read(ref _peakTotal);
    public int PeakTransport => Volatile.Read(ref _peakTransport);

    /// <summary>Stops sampling (e.g. while idle CPU is measured: sampling costs CPU itself).</summary>
    public bool Paused { get => _paused; set => _paused = value; }

    public void Observe(ThreadCensus census)
    {
        InterlockedMax(ref _peakTotal, census.Total);
        InterlockedMax(ref _peakTransport, census.Transport);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen) { }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _loop;
        _stop.Dispose();
    }
}
