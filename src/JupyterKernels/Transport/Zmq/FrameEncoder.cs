using System.Buffers.Binary;

namespace JupyterKernels.Transport.Zmq;

/// <summary>
/// Encodes messages and commands into wire bytes. A message is encoded once into one array when it is
/// sent: that copies the caller's buffers (so they can be reused at once), lets PUB share one encoding
/// among subscribers, and lets the writer coalesce many small messages into one socket write.
/// </summary>
internal static class FrameEncoder
{
    public static int HeaderSize(int bodyLength) => bodyLength <= 255 ? 2 : 9;

    /// <summary>Writes a frame header; short form for ≤255 bytes, long form otherwise (as libzmq does).</summary>
    public static int WriteHeader(Span<byte> destination, int bodyLength, bool more, bool command)
    {
        byte flags = (byte)((more ? FrameFlags.More : 0) | (command ? FrameFlags.Command : 0));
        if (bodyLength <= 255)
        {
            destination[0] = flags;
            destination[1] = (byte)bodyLength;
            return 2;
        }
        destination[0] = (byte)(flags | FrameFlags.Long);
        BinaryPrimitives.WriteUInt64BigEndian(destination.Slice(1, 8), (ulong)bodyLength);
        return 9;
    }

    /// <summary>Encodes <c>envelope ++ frames[start..]</c> as one multipart message into an exact-size array.</summary>
    public static byte[] EncodeMessage(
        IReadOnlyList<ReadOnlyMemory<byte>>? envelope, IReadOnlyList<ReadOnlyMemory<byte>> frames, int start = 0)
    {
        int length = MeasureMessage(envelope, frames, start);
        var wire = LargeBuffers.Allocate(length);
        WriteMessage(wire, envelope, frames, start);
        return wire;
    }

    /// <summary>Like <see cref="EncodeMessage"/> but into a pooled buffer (for single-consumer queues).</summary>
    public static WireMessage EncodePooled(
        IReadOnlyList<ReadOnlyMemory<byte>>? envelope, IReadOnlyList<ReadOnlyMemory<byte>> frames, int start = 0)
    {
        var wire = WireMessage.Rent(MeasureMessage(envelope, frames, start));
        WriteMessage(wire.Buffer, envelope, frames, start);
        return wire;
    }

    private static int MeasureMessage(
        IReadOnlyList<ReadOnlyMemory<byte>>? envelope, IReadOnlyList<ReadOnlyMemory<byte>> frames, int start)
    {
        int envelopeCount = envelope?.Count ?? 0;
        if (envelopeCount + frames.Count - start <= 0)
            throw new ArgumentException("a message needs at least one frame", nameof(frames));
        long length = 0;
        for (int i = 0; i < envelopeCount; i++) length += HeaderSize(envelope![i].Length) + envelope[i].Length;
        for (int i = start; i < frames.Count; i++) length += HeaderSize(frames[i].Length) + frames[i].Length;
        if (length > Array.MaxLength) throw new ArgumentException("message too large", nameof(frames));
        return (int)length;
    }

    private static void WriteMessage(byte[] wire,
        IReadOnlyList<ReadOnlyMemory<byte>>? envelope, IReadOnlyList<ReadOnlyMemory<byte>> frames, int start)
    {
        int envelopeCount = envelope?.Count ?? 0;
        int total = envelopeCount + frames.Count - start;
        int pos = 0, index = 0;
        for (int i = 0; i < envelopeCount; i++)
            pos = Append(wire, pos, envelope![i].Span, ++index < total);
        for (int i = start; i < frames.Count; i++)
            pos = Append(wire, pos, frames[i].Span, ++index < total);
    }

    /// <summary>Encodes a command frame: name-length, name, data.</summary>
    public static byte[] EncodeCommand(ReadOnlySpan<byte> name, ReadOnlySpan<byte> data)
    {
        int bodyLength = 1 + name.Length + data.Length;
        var wire = new byte[HeaderSize(bodyLength) + bodyLength];
        int pos = WriteHeader(wire, bodyLength, more: false, command: true);
        wire[pos++] = (byte)name.Length;
        name.CopyTo(wire.AsSpan(pos));
        data.CopyTo(wire.AsSpan(pos + name.Length));
        return wire;
    }

    private static int Append(byte[] wire, int pos, ReadOnlySpan<byte> body, bool more)
    {
        pos += WriteHeader(wire.AsSpan(pos), body.Length, more, command: false);
        body.CopyTo(wire.AsSpan(pos));
        return pos + body.Length;
    }
}
