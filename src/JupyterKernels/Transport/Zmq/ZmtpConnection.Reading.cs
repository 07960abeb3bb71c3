using System.Threading.Channels;

namespace JupyterKernels.Transport.Zmq;

/// <summary>The read side: frames in, messages assembled, commands (PING, SUBSCRIBE, CANCEL) answered.</summary>
internal sealed partial class ZmtpConnection
{
    private async ValueTask<ZmtpFrame> ReadFrameAsync()
    {
        while (true)
        {
            if (_readStart < _readEnd || !_decoder.InBody)
            {
                bool done = _decoder.TryDecode(_readBuffer.AsSpan(_readStart, _readEnd - _readStart), out int used, out var frame);
                _readStart += used;
                if (done) return frame;
            }
            await FillAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Reads more bytes: straight into a large body when one is pending, otherwise into the buffer.</summary>
    private async ValueTask FillAsync()
    {
        if (_readStart == _readEnd)
        {
            _readStart = _readEnd = 0;
        }
        else if (_readStart > 0)
        {
            // Only a partial header (< 9 bytes) can be left over here: move it to the front.
            Buffer.BlockCopy(_readBuffer, _readStart, _readBuffer, 0, _readEnd - _readStart);
            _readEnd -= _readStart;
            _readStart = 0;
        }
        int free = _readBuffer.Length - _readEnd;
        int n = await _socket.ReceiveAsync(_readBuffer.AsMemory(_readEnd)).ConfigureAwait(false);
        if (n == 0) throw new IOException("peer closed the connection");
        NoteReceived();
        _readEnd += n;
        // The read filled all the space we had: the peer is ahead of us, so read more per syscall next time.
        if (n == free && _readBuffer.Length < MaxBufferSize)
        {
            var bigger = new byte[Math.Min(MaxBufferSize, _readBuffer.Length * 2)];
            Buffer.BlockCopy(_readBuffer, _readStart, bigger, 0, _readEnd - _readStart);
            _readEnd -= _readStart;
            _readStart = 0;
            _readBuffer = bigger;
        }
    }

    private int DirectReadThreshold => _readBuffer.Length / 2;

    private async Task ReadLoopAsync(CancellationToken ct)
    {
        await Task.Yield();
        var parts = new List<byte[]>();
        while (true)
        {
            // Decode everything already buffered.
            while (_readStart < _readEnd)
            {
                bool done = _decoder.TryDecode(_readBuffer.AsSpan(_readStart, _readEnd - _readStart), out int used, out var frame);
                _readStart += used;
                if (!done) break;
                await HandleFrameAsync(frame, parts, ct).ConfigureAwait(false);
            }

            if (_decoder.InBody && _decoder.BodyRemaining >= DirectReadThreshold)
            {
                // Large body: read straight into it, skipping the copy through the read buffer.
                _readStart = _readEnd = 0;
                int n = await _socket.ReceiveAsync(_decoder.GetBodyTarget()).ConfigureAwait(false);
                if (n == 0) throw new IOException("peer closed the connection");
                NoteReceived();
                if (_decoder.AdvanceBody(n, out var frame))
                    await HandleFrameAsync(frame, parts, ct).ConfigureAwait(false);
                continue;
            }
            await FillAsync().ConfigureAwait(false);
        }
    }

    private async ValueTask HandleFrameAsync(ZmtpFrame frame, List<byte[]> parts, CancellationToken ct)
    {
        if (frame.IsCommand)
        {
            if (parts.Count > 0) throw new ZmtpProtocolException("command inside a multipart message");
            await HandleCommandAsync(frame.Body, ct).ConfigureAwait(false);
            return;
        }
        parts.Add(frame.Body);
        if (frame.More)
        {
            if (parts.Count >= MaxFramesPerMessage) throw new ZmtpProtocolException("too many frames in one message");
            return;
        }
        var message = parts.ToArray();
        parts.Clear();
        await _owner.OnMessageAsync(this, message, ct).ConfigureAwait(false);
    }

    private async ValueTask HandleCommandAsync(byte[] body, CancellationToken ct)
    {
        ZmtpCommands.Split(body, out var name, out var data);
        if (name.SequenceEqual(ZmtpCommands.Ping))
        {
            // Always answer, whatever version was negotiated (libzmq 4.2 pings while announcing 3.0).
            await WriteDirectAsync(ZmtpCommands.BuildPong(data), ct).ConfigureAwait(false);
        }
        else if (name.SequenceEqual(ZmtpCommands.Subscribe))
        {
            await _owner.OnSubscriptionAsync(this, true, data.ToArray(), ct).ConfigureAwait(false);
        }
        else if (name.SequenceEqual(ZmtpCommands.Cancel))
        {
            await _owner.OnSubscriptionAsync(this, false, data.ToArray(), ct).ConfigureAwait(false);
        }
        // Anything else (ERROR, PONG, unknown) is ignored after the handshake, as libzmq does.
    }
}
