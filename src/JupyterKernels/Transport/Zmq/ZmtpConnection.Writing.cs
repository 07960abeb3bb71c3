using System.Diagnostics;
using System.Net.Sockets;

namespace JupyterKernels.Transport.Zmq;

/// <summary>The write side: direct writes from the sender when the queue is empty, else the coalescing write loop.</summary>
internal sealed partial class ZmtpConnection
{
    private async ValueTask WriteDirectAsync(byte[] wire, CancellationToken ct)
    {
        await _writeLock.WaitAsync(ct).ConfigureAwait(false);
        try { await _socket.SendAsync(wire).ConfigureAwait(false); }
        finally { _writeLock.Release(); }
    }

    /// <summary>
    /// Writes a message from the sender's own thread when nothing is queued or being written: the usual case for a
    /// request-reply client, and one thread wake-up (the write loop's) less per request. Never blocks: if the socket
    /// buffer takes only part, the rest goes out asynchronously while the write lock keeps later messages behind it.
    /// False = not written (busy, or not yet/no longer connected): queue it as usual. Takes ownership on true.
    /// </summary>
    internal bool TryWriteNow(WireMessage wire)
    {
        long now = Stopwatch.GetTimestamp();
        if (now - Interlocked.Exchange(ref _lastSendAttempt, now) < StreamingGap) return false;
        if (!_directWrites || WriteSource is not { } source || source.Count != 0 || !_writeLock.Wait(0)) return false;
        int sent;
        try
        {
            // Re-check under the lock: a message queued meanwhile must go first.
            if (source.Count != 0 || !_directWrites)
            {
                _writeLock.Release();
                return false;
            }
            sent = _socket.TrySend(wire.Buffer.AsSpan(0, wire.Length));
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            // Closed or failing: let the write loop meet the same error and end the connection in the usual way.
            _writeLock.Release();
            return false;
        }
        if (sent == wire.Length)
        {
            _writeLock.Release();
            wire.Release();
            return true;
        }
        _ = FinishWriteAsync(wire, sent);
        return true;
    }

    /// <summary>A command (PING) from a thread that must not wait: written at once if no write is in progress (a
    /// write in progress means a message is going out, so the next tick tries again), the rest finished
    /// asynchronously under the write lock.</summary>
    private void TryWriteCommandNow(byte[] command)
    {
        if (!_directWrites || !_writeLock.Wait(0)) return;
        int sent;
        try
        {
            sent = _socket.TrySend(command);
        }
        catch (Exception)
        {
            _writeLock.Release();
            return; // closed or failing: the read loop ends the connection
        }
        if (sent == command.Length)
        {
            _writeLock.Release();
            return;
        }
        _ = FinishCommandAsync(command, sent);
    }

    private async Task FinishCommandAsync(byte[] command, int offset)
    {
        try { await _socket.SendAsync(command.AsMemory(offset)).ConfigureAwait(false); }
        catch (Exception) { CloseSocket(); }
        finally { _writeLock.Release(); }
    }

    private async Task FinishWriteAsync(WireMessage wire, int offset)
    {
        try
        {
            await _socket.SendAsync(wire.Buffer.AsMemory(offset, wire.Length - offset)).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Half a message on the wire cannot be taken back: end the connection (the reader sees it and reports).
            CloseSocket();
        }
        finally
        {
            wire.Release();
            _writeLock.Release();
        }
    }

    /// <summary>
    /// Drains the queue: small messages are copied into a batch buffer, large ones are referenced in place, and
    /// everything queued at that moment (up to 1 MiB) goes out in one gather write.
    /// </summary>
    private async Task WriteLoopAsync(CancellationToken ct)
    {
        await Task.Yield();
        var source = WriteSource ?? throw new InvalidOperationException("no write source");
        var batch = new byte[InitialBufferSize];
        var segments = new List<ArraySegment<byte>>(MaxSegmentsPerWrite);
        var held = new List<WireMessage>(MaxSegmentsPerWrite);
        try
        {
            while (await source.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                await _writeLock.WaitAsync(ct).ConfigureAwait(false);
                try
                {
                    while (true)
                    {
                        segments.Clear();
                        int used = 0, sliceStart = 0;
                        long total = 0;
                        var budget = WriteBudget;
                        while (total < MaxBytesPerWrite && segments.Count < MaxSegmentsPerWrite - 1 && source.TryRead(out var wire))
                        {
                            total += wire.Length;
                            if (ByteBudget.IsCharged(wire.Length)) budget?.Release(wire.Length);
                            if (wire.Length >= LargeBuffers.Threshold || wire.Length > batch.Length - used)
                            {
                                if (used > sliceStart) segments.Add(new ArraySegment<byte>(batch, sliceStart, used - sliceStart));
                                sliceStart = used;
                                segments.Add(new ArraySegment<byte>(wire.Buffer, 0, wire.Length));
                                held.Add(wire);
                                continue;
                            }
                            Buffer.BlockCopy(wire.Buffer, 0, batch, used, wire.Length);
                            used += wire.Length;
                            wire.Release();
                        }
                        if (used > sliceStart) segments.Add(new ArraySegment<byte>(batch, sliceStart, used - sliceStart));
                        if (segments.Count == 0) break;
                        // Small messages overflowed the batch: a bigger one next time (after this write, which
                        // still references the current array).
                        bool grow = held.Count > 0 && used > batch.Length / 2 && batch.Length < MaxBufferSize;

                        if (segments.Count == 1)
                            await _socket.SendAsync(segments[0].AsMemory()).ConfigureAwait(false);
                        else
                            await _socket.SendAsync(segments).ConfigureAwait(false);

                        foreach (var w in held) w.Release();
                        held.Clear();
                        if (grow) batch = new byte[Math.Min(MaxBufferSize, batch.Length * 2)];
                    }
                }
                finally
                {
                    _writeLock.Release();
                }
            }
            // The queue is done: wait for a direct write still finishing, so flush-on-dispose means on the wire.
            await _writeLock.WaitAsync(ct).ConfigureAwait(false);
            _writeLock.Release();
        }
        finally
        {
            _writeDone.TrySetResult();
        }
    }
}
