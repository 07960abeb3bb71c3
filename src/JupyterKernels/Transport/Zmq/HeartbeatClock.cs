using System.Collections.Concurrent;

namespace JupyterKernels.Transport.Zmq;

/// <summary>
/// One process-wide tick (every <see cref="Resolution"/>) for the ZMTP heartbeats of every connection, instead of a
/// timer per connection: a thousand kernels are a thousand heartbeat connections, and a timer callback each per
/// interval woke (and spun) a thread-pool worker each time. One callback walks them all; PINGs go out as direct
/// non-blocking writes from it; PONGs are read on the I/O thread like any other bytes. The timer exists only while
/// some connection beats.
/// </summary>
internal static class HeartbeatClock
{
    /// <summary>Granularity of PING and timeout decisions (a silent peer is reported at most this late).</summary>
    public static readonly TimeSpan Resolution = TimeSpan.FromMilliseconds(100);

    private static readonly ConcurrentDictionary<ZmtpConnection, byte> Beating = new();
    private static readonly object Gate = new();
    private static Timer? _timer;
    private static int _ticking;

    public static int Count => Beating.Count;

    public static void Add(ZmtpConnection connection)
    {
        Beating[connection] = 0;
        lock (Gate)
        {
            _timer ??= new Timer(static _ => Tick(), null, Resolution, Resolution);
        }
    }

    public static void Remove(ZmtpConnection connection)
    {
        if (!Beating.TryRemove(connection, out _)) return;
        lock (Gate)
        {
            if (!Beating.IsEmpty || _timer is null) return;
            _timer.Dispose();
            _timer = null;
        }
    }

    private static void Tick()
    {
        // A tick that overran (a very loaded machine) is not stacked on by the next one.
        if (Interlocked.Exchange(ref _ticking, 1) != 0) return;
        try
        {
            long now = Environment.TickCount64;
            foreach (var connection in Beating.Keys)
            {
                try { connection.OnHeartbeatTick(now); }
                catch (Exception) { /* one connection's failure is its own; the others still beat */ }
            }
        }
        finally
        {
            Volatile.Write(ref _ticking, 0);
        }
    }
}
