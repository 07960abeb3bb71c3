namespace JupyterKernels.Transport.Zmq;

/// <summary>
/// ZMTP 3.1 heartbeats: while nothing arrives, PING every interval; silence past the timeout closes the connection
/// (reported as HeartbeatTimeout, and a connect endpoint reconnects). Driven by the process-wide
/// <see cref="HeartbeatClock"/>. Peers that negotiated 3.0 get no PING (they may not answer) and so no timeout.
/// </summary>
internal sealed partial class ZmtpConnection
{
    private long _lastReceived;   // Environment.TickCount64 of the last bytes read
    private long _lastPingSent;
    private bool _beating;
    private volatile bool _heartbeatExpired;

    /// <summary>True once this connection was closed for silence.</summary>
    internal bool HeartbeatExpired => _heartbeatExpired;

    private void NoteReceived() => Volatile.Write(ref _lastReceived, Environment.TickCount64);

    private void StartHeartbeat()
    {
        var options = _owner.Options;
        if (options.HeartbeatInterval <= TimeSpan.Zero || options.HeartbeatTimeout <= TimeSpan.Zero || PeerMinor < 1) return;
        NoteReceived();
        _lastPingSent = Environment.TickCount64;
        _beating = true;
        HeartbeatClock.Add(this);
    }

    private void StopHeartbeat()
    {
        if (_beating) HeartbeatClock.Remove(this);
    }

    /// <summary>On the clock's tick: expire, PING, or nothing. Never blocks.</summary>
    internal void OnHeartbeatTick(long now)
    {
        if (!_directWrites || _heartbeatExpired) return;
        var options = _owner.Options;
        long lastReceived = Volatile.Read(ref _lastReceived);
        if (now - lastReceived >= (long)options.HeartbeatTimeout.TotalMilliseconds)
        {
            _heartbeatExpired = true;
            CloseSocket(); // the read loop ends; RunAsync reports HeartbeatTimeout
            return;
        }
        long interval = (long)options.HeartbeatInterval.TotalMilliseconds;
        if (now - Math.Max(lastReceived, _lastPingSent) < interval) return;
        _lastPingSent = now;
        TryWriteCommandNow(ZmtpCommands.BuildPing(options.HeartbeatTtl, "hb"u8));
    }
}
