using System.Buffers.Binary;

namespace JupyterKernels.Transport.Zmq;

/// <summary>
/// Incremental ZMTP frame decoder. Feed it whatever bytes arrived; it consumes headers and partial bodies
/// and reports complete frames. Sizes are checked against MaxFrameSize before anything is allocated, and a
/// large body buffer grows as bytes actually arrive, so a peer that lies about a size cannot make us
/// allocate more than it really sends (and never more than MaxFrameSize).
/// </summary>
internal sealed class FrameDecoder
{
    /// <summary>Largest byte[] .NET can allocate.</summary>
    public const long HardMaxFrameSize = 0x7FFFFFC7;

    /// <summary>Bodies up to this size are allocated at once; larger ones grow by doubling.</summary>
    private const int InitialChunk = 1024 * 1024;

    private readonly long _maxFrameSize;
    private byte[]? _body;
    private int _size;
    private int _filled;
    private bool _more;
    private bool _command;

    public FrameDecoder(long maxFrameSize)
    {
        _maxFrameSize = Math.Clamp(maxFrameSize, 0, HardMaxFrameSize);
    }

    /// <summary>True while part of a body is still expected.</summary>
    public bool InBody => _body is not null;

    /// <summary>Bytes of the current body still to come.</summary>
    public int BodyRemaining => _body is null ? 0 : _size - _filled;

    /// <summary>
    /// Decodes from <paramref name="input"/>. Returns true when a frame completed; <paramref name="consumed"/>
    /// says how many bytes were used (possibly some even when false: a header plus part of a body).
    /// Throws <see cref="ZmtpProtocolException"/> on bad flags or sizes.
    /// </summary>
    public bool TryDecode(ReadOnlySpan<byte> input, out int consumed, out ZmtpFrame frame)
    {
        consumed = 0;
        frame = default;
        if (_body is null)
        {
            if (input.Length < 2) return false;
            byte flags = input[0];
            if ((flags & FrameFlags.Reserved) != 0)
                throw new ZmtpProtocolException($"frame: reserved flag bits set (0x{flags:X2})");
            bool command = (flags & FrameFlags.Command) != 0;
            bool more = (flags & FrameFlags.More) != 0;
            if (command && more) throw new ZmtpProtocolException("frame: MORE set on a command");
            long size;
            int headerLength;
            if ((flags & FrameFlags.Long) != 0)
            {
                if (input.Length < 9) return false;
                ulong raw = BinaryPrimitives.ReadUInt64BigEndian(input.Slice(1, 8));
                if (raw > (ulong)_maxFrameSize)
                    throw new ZmtpProtocolException($"frame: size {raw} exceeds maximum {_maxFrameSize}");
                size = (long)raw;
                headerLength = 9;
            }
            else
            {
                size = input[1];
                if (size > _maxFrameSize)
                    throw new ZmtpProtocolException($"frame: size {size} exceeds maximum {_maxFrameSize}");
                headerLength = 2;
            }
            if (command && size == 0) throw new ZmtpProtocolException("frame: empty command");

            consumed = headerLength;
            _size = (int)size;
            _filled = 0;
            _more = more;
            _command = command;
            if (_size == 0)
            {
                frame = new ZmtpFrame(Array.Empty<byte>(), more, command);
                return true;
            }
            _body = LargeBuffers.Allocate(Math.Min(_size, InitialChunk));
            input = input[headerLength..];
        }

        while (!input.IsEmpty && _filled < _size)
        {
            var target = EnsureSpace();
            int n = Math.Min(target.Length, input.Length);
            input[..n].CopyTo(target);
            input = input[n..];
            _filled += n;
            consumed += n;
        }
        return TryComplete(out frame);
    }

    /// <summary>
    /// Where the next body bytes can be read straight from the network (saves a copy for large frames).
    /// Only valid while <see cref="InBody"/>.
    /// </summary>
    public Memory<byte> GetBodyTarget() => _body is null ? Memory<byte>.Empty : EnsureSpaceMemory();

    /// <summary>Records <paramref name="count"/> bytes written into <see cref="GetBodyTarget"/>.</summary>
    public bool AdvanceBody(int count, out ZmtpFrame frame)
    {
        if (_body is null || count < 0 || _filled + count > _size || _filled + count > _body.Length)
            throw new InvalidOperationException("AdvanceBody beyond the body target");
        _filled += count;
        return TryComplete(out frame);
    }

    /// <summary>Forgets any partial frame (after a disconnect).</summary>
    public void Reset() => _body = null;

    private bool TryComplete(out ZmtpFrame frame)
    {
        if (_body is not null && _filled == _size)
        {
            frame = new ZmtpFrame(_body, _more, _command);
            _body = null;
            return true;
        }
        frame = default;
        return false;
    }

    private Span<byte> EnsureSpace() => EnsureSpaceMemory().Span;

    private Memory<byte> EnsureSpaceMemory()
    {
        var body = _body!;
        if (_filled == body.Length && body.Length < _size)
        {
            // Grow by doubling, capped at the declared size, so the last step lands on the exact size.
            var bigger = LargeBuffers.Allocate((int)Math.Min(_size, (long)body.Length * 2));
            body.AsSpan(0, _filled).CopyTo(bigger);
            _body = body = bigger;
        }
        return body.AsMemory(_filled, Math.Min(body.Length, _size) - _filled);
    }
}
