namespace JupyterKernels.Transport.Zmq;

/// <summary>
/// ZMTP 3.1 heartbeats: while nothing arrives, PING every interval; silence past the timeout closes the connection
/// (reported as HeartbeatTimeout, and a connect endpoint reconnects). One one-shot timer per connection, re-armed for
/// the next moment something falls due, so an idle connection that hears its PONGs costs one timer callback and one
/// PING per interval. Peers that negotiated 3.0 get no PING (they may not answer) and so no timeout either.
/// </summary>
internal sealed partial class ZmtpConnection
{
    private static readonly TimeSpan MinimumTick = TimeSpan.FromMilliseconds(10);
    private long _lastReceived;   // Environment.TickCount64 of the last bytes read
    private long _lastPingSent;
    private Timer? _heartbeatTimer;
    private volatile bool _heartbeatExpired;
    private int _pingsInFlight;

    /// <summary>True once this connection was closed for silence.</summary>
    internal bool HeartbeatExpired => _heartbeatExpired;

    private void NoteReceived() => Volatile.Write(ref _lastReceived, Environment.TickCount64);

    private void StartHeartbeat()
    {
        var options = _owner.Options;
        if (options.HeartbeatInterval <= TimeSpan.Zero || options.HeartbeatTimeout <= TimeSpan.Zero || PeerMinor < 1) return;
        NoteReceived();
        _heartbeatTimer = new Timer(static s => ((ZmtpConnection)s!).OnHeartbeatTick(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        Arm(options.HeartbeatInterval);
    }

    private void StopHeartbeat()
    {
        var timer = Interlocked.Exchange(ref _heartbeatTimer, null);
        timer?.Dispose();
    }

    private void Arm(TimeSpan due)
    {
        try { _heartbeatTimer?.Change(due < MinimumTick ? MinimumTick : due, Timeout.InfiniteTimeSpan); }
        catch (ObjectDisposedException) { /* stopped meanwhile */ }
    }

    private void OnHeartbeatTick()
    {
        if (_heartbeatTimer is null || !_directWrites) return;
        var options = _owner.Options;
        long interval = (long)options.HeartbeatInterval.TotalMilliseconds;
        long timeout = (long)options.HeartbeatTimeout.TotalMilliseconds;
        long now = Environment.TickCount64;
        long lastReceived = Volatile.Read(ref _lastReceived);
        if (now - lastReceived >= timeout)
        {
            _heartbeatExpired = true;
            CloseSocket(); // the read loop ends; RunAsync reports HeartbeatTimeout
            return;
        }
        long pingDue = Math.Max(lastReceived, _lastPingSent) + interval;
        if (now >= pingDue)
        {
            _lastPingSent = now;
            pingDue = now + interval;
            if (Interlocked.CompareExchange(ref _pingsInFlight, 1, 0) == 0) _ = SendPingAsync(options.HeartbeatTtl);
        }
        Arm(TimeSpan.FromMilliseconds(Math.Min(pingDue, lastReceived + timeout) - now));
    }

    /// <summary>Through the write lock, so a PING never lands inside a message being written; a failure is the
    /// read loop's to notice.</summary>
    private async Task SendPingAsync(TimeSpan ttl)
    {
        try
        {
            await WriteDirectAsync(ZmtpCommands.BuildPing(ttl, "hb"u8), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Closed or failing: the connection is ending anyway.
        }
        finally
        {
            Volatile.Write(ref _pingsInFlight, 0);
        }
    }
}
