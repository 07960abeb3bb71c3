using System.Buffers.Binary;
using System.Text;

namespace JupyterKernels.Transport.Zmq;

/// <summary>Builds and parses the ZMTP commands we use: READY, ERROR, SUBSCRIBE, CANCEL, PING, PONG.</summary>
internal static class ZmtpCommands
{
    public static ReadOnlySpan<byte> Ready => "READY"u8;
    public static ReadOnlySpan<byte> Error => "ERROR"u8;
    public static ReadOnlySpan<byte> Subscribe => "SUBSCRIBE"u8;
    public static ReadOnlySpan<byte> Cancel => "CANCEL"u8;
    public static ReadOnlySpan<byte> Ping => "PING"u8;
    public static ReadOnlySpan<byte> Pong => "PONG"u8;

    /// <summary>Splits a command body into name and data; throws on a malformed name length.</summary>
    public static void Split(ReadOnlySpan<byte> body, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> data)
    {
        if (body.Length < 1) throw new ZmtpProtocolException("command: empty body");
        int nameLength = body[0];
        if (nameLength == 0 || nameLength > body.Length - 1)
            throw new ZmtpProtocolException("command: bad name length");
        name = body.Slice(1, nameLength);
        data = body[(1 + nameLength)..];
    }

    /// <summary>
    /// READY with exactly-cased "Socket-Type" and, for REQ/DEALER/ROUTER, "Identity" (libzmq compares
    /// property names case-sensitively, so the casing matters for interop).
    /// </summary>
    public static byte[] BuildReady(string socketType, ReadOnlySpan<byte> identity, bool includeIdentity)
    {
        var data = new List<byte>(64);
        AddProperty(data, "Socket-Type"u8, Encoding.ASCII.GetBytes(socketType));
        if (includeIdentity) AddProperty(data, "Identity"u8, identity);
        return FrameEncoder.EncodeCommand(Ready, data.ToArray());
    }

    private static void AddProperty(List<byte> data, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        data.Add((byte)name.Length);
        data.AddRange(name.ToArray());
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(len, (uint)value.Length);
        data.AddRange(len.ToArray());
        data.AddRange(value.ToArray());
    }

    /// <summary>Parses READY metadata; names are matched case-insensitively as RFC 23 says. Strict about lengths.</summary>
    public static Dictionary<string, byte[]> ParseMetadata(ReadOnlySpan<byte> data)
    {
        var result = new Dictionary<string, byte[]>(StringComparer.OrdinalIgnoreCase);
        while (!data.IsEmpty)
        {
            int nameLength = data[0];
            if (nameLength == 0 || data.Length < 1 + nameLength + 4)
                throw new ZmtpProtocolException("READY: malformed property");
            var name = Encoding.ASCII.GetString(data.Slice(1, nameLength));
            uint valueLength = BinaryPrimitives.ReadUInt32BigEndian(data.Slice(1 + nameLength, 4));
            data = data[(1 + nameLength + 4)..];
            if (valueLength > (uint)data.Length)
                throw new ZmtpProtocolException("READY: property value runs past the end");
            result[name] = data[..(int)valueLength].ToArray();
            data = data[(int)valueLength..];
        }
        return result;
    }

    /// <summary>A subscription for one peer: a 3.1 command if it speaks 3.1, else the 3.0 0x01/0x00 message.</summary>
    public static byte[] BuildSubscription(bool subscribe, ReadOnlySpan<byte> topic, int peerMinor)
    {
        if (peerMinor >= 1)
            return FrameEncoder.EncodeCommand(subscribe ? Subscribe : Cancel, topic);
        var body = new byte[topic.Length + 1];
        body[0] = subscribe ? (byte)1 : (byte)0;
        topic.CopyTo(body.AsSpan(1));
        return FrameEncoder.EncodeMessage(null, new ReadOnlyMemory<byte>[] { body });
    }

    /// <summary>PONG echoing at most 16 bytes of the PING context (as libzmq does).</summary>
    public static byte[] BuildPong(ReadOnlySpan<byte> pingData)
    {
        var context = pingData.Length > 2 ? pingData[2..] : ReadOnlySpan<byte>.Empty;
        if (context.Length > 16) context = context[..16];
        return FrameEncoder.EncodeCommand(Pong, context);
    }

    /// <summary>PING: TTL in deciseconds (0 = none; capped at 6553.5 s) and a context the peer echoes in its PONG.</summary>
    public static byte[] BuildPing(TimeSpan ttl, ReadOnlySpan<byte> context)
    {
        var data = new byte[2 + Math.Min(context.Length, 16)];
        ushort deciseconds = (ushort)Math.Clamp(ttl.TotalMilliseconds / 100, 0, ushort.MaxValue);
        data[0] = (byte)(deciseconds >> 8);
        data[1] = (byte)deciseconds;
        context[..(data.Length - 2)].CopyTo(data.AsSpan(2));
        return FrameEncoder.EncodeCommand(Ping, data);
    }

    public static byte[] BuildError(string reason)
    {
        var r = Encoding.ASCII.GetBytes(reason.Length > 255 ? reason[..255] : reason);
        var data = new byte[r.Length + 1];
        data[0] = (byte)r.Length;
        r.CopyTo(data, 1);
        return FrameEncoder.EncodeCommand(Error, data);
    }
}
