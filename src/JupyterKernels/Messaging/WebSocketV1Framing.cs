using System.Buffers.Binary;

namespace JupyterKernels.Messaging;

/// <summary>
/// The <c>v1.kernel.websocket.jupyter.org</c> binary framing (jupyter_server serialize_msg_to_ws_v1 /
/// deserialize_msg_from_ws_v1): <c>uint64 LE n</c>, then n × <c>uint64 LE</c> offsets from the frame start, then the
/// parts [channel, header, parent_header, metadata, content, buffers…]; part i spans offsets[i]..offsets[i+1], so
/// n = parts + 1 and the last offset is the end of the last part. Messages are unsigned (the server signs).
/// </summary>
internal static class WebSocketV1Framing
{
    public const string SubProtocol = "v1.kernel.websocket.jupyter.org";
    private const int MaxParts = 1 << 16;

    public static byte[] Serialize(KernelChannel channel, JupyterMessage message)
    {
        var parts = new List<ReadOnlyMemory<byte>>(5 + message.Buffers.Count)
        {
            System.Text.Encoding.UTF8.GetBytes(channel.ToWireName()),
            HeaderJson.ToUtf8(message.Header),
            HeaderJson.ToUtf8(message.ParentHeader),
            WireFormat.ToUtf8(message.Metadata),
            WireFormat.ToUtf8(message.Content),
        };
        foreach (var b in message.Buffers) parts.Add(b);
        return Pack(parts);
    }

    /// <summary>Packs raw parts (for tests and fakes).</summary>
    internal static byte[] Pack(IReadOnlyList<ReadOnlyMemory<byte>> parts)
    {
        int n = parts.Count + 1;
        long total = 8L * (n + 1);
        foreach (var p in parts) total += p.Length;
        var frame = new byte[total];
        BinaryPrimitives.WriteUInt64LittleEndian(frame, (ulong)n);
        long offset = 8L * (n + 1);
        for (int i = 0; i < parts.Count; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(frame.AsSpan(8 * (i + 1)), (ulong)offset);
            parts[i].Span.CopyTo(frame.AsSpan((int)offset));
            offset += parts[i].Length;
        }
        BinaryPrimitives.WriteUInt64LittleEndian(frame.AsSpan(8 * n), (ulong)offset);
        return frame;
    }

    /// <summary>Parses a frame; never throws for bad input (bad offsets, bad JSON, unknown channel).</summary>
    public static WebSocketDecodeResult Deserialize(ReadOnlyMemory<byte> frame)
    {
        var span = frame.Span;
        if (span.Length < 8) return WebSocketDecodeResult.Fail("v1 frame shorter than its offset count");
        var count = BinaryPrimitives.ReadUInt64LittleEndian(span);
        // channel + header + parent + metadata + content = 5 parts → at least 6 offsets.
        if (count < 6 || count > MaxParts) return WebSocketDecodeResult.Fail($"v1 frame has {count} offsets (expected 6 or more)");
        int n = (int)count;
        long tableEnd = 8L * (n + 1);
        if (tableEnd > span.Length) return WebSocketDecodeResult.Fail("v1 offset table runs past the end of the frame");
        var offsets = new int[n];
        for (int i = 0; i < n; i++)
        {
            var o = BinaryPrimitives.ReadUInt64LittleEndian(span[(8 * (i + 1))..]);
            if (o > (ulong)span.Length) return WebSocketDecodeResult.Fail($"v1 offset {i} ({o}) is past the end of the frame ({span.Length} bytes)");
            if (i == 0 ? (long)o < tableEnd : (int)o < offsets[i - 1]) return WebSocketDecodeResult.Fail($"v1 offset {i} ({o}) is out of order");
            offsets[i] = (int)o;
        }
        ReadOnlyMemory<byte> Part(int i) => frame[offsets[i]..offsets[i + 1]];

        var channelName = System.Text.Encoding.UTF8.GetString(Part(0).Span);
        if (!KernelChannelNames.TryParse(channelName, out var channel))
            return WebSocketDecodeResult.Fail($"v1 frame names an unknown channel '{Shorten(channelName)}'");
        try
        {
            var header = HeaderJson.Read(Part(1).Span) ?? throw new FormatException("empty header");
            var parent = HeaderJson.Read(Part(2).Span);
            var buffers = new ReadOnlyMemory<byte>[n - 6];
            for (int i = 0; i < buffers.Length; i++) buffers[i] = Part(5 + i).ToArray();
            return WebSocketDecodeResult.Ok(channel, new JupyterMessage
            {
                Header = header,
                ParentHeader = parent,
                Metadata = WireFormat.ParseObject(Part(3).Span),
                Content = WireFormat.ReadContent(Part(4), frameIsOurs: false, out var deferred),
                DeferredContent = deferred,
                Buffers = buffers,
            });
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or FormatException or InvalidOperationException or ArgumentException)
        {
            return WebSocketDecodeResult.Fail("v1 frame: " + e.Message);
        }
    }

    internal static string Shorten(string s) => s.Length > 40 ? s[..40] + "…" : s;
}

/// <summary>A decoded WebSocket message, or why it was dropped.</summary>
internal readonly record struct WebSocketDecodeResult(KernelChannel Channel, JupyterMessage? Message, string? Error)
{
    public static WebSocketDecodeResult Ok(KernelChannel channel, JupyterMessage message) => new(channel, message, null);
    public static WebSocketDecodeResult Fail(string error) => new(default, null, error);
}
