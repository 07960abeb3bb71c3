using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json;

namespace JupyterKernels.Messaging;

/// <summary>
/// The legacy (no subprotocol) framing: a text frame holding one JSON message with a <c>channel</c> field; with
/// buffers, a binary frame: <c>uint32 BE n</c>, n × <c>uint32 BE</c> offsets from the frame start (the first is the
/// JSON message, the rest the buffers; each part runs to the next offset, the last to the end of the frame).
/// Source: jupyter_server base/zmqhandlers.py serialize_binary_message / deserialize_binary_message.
/// </summary>
internal static class WebSocketLegacyFraming
{
    private const int MaxParts = 1 << 16;

    /// <summary>Returns the frame and whether it is binary (text when there are no buffers).</summary>
    public static (byte[] Frame, bool Binary) Serialize(KernelChannel channel, JupyterMessage message)
    {
        var json = WriteJson(channel, message, includeEmptyBuffers: message.Buffers.Count == 0);
        if (message.Buffers.Count == 0) return (json, false);
        int n = message.Buffers.Count + 1;
        long total = 4L * (n + 1) + json.Length;
        foreach (var b in message.Buffers) total += b.Length;
        var frame = new byte[total];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)n);
        int offset = 4 * (n + 1);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), (uint)offset);
        json.CopyTo(frame.AsSpan(offset));
        offset += json.Length;
        for (int i = 0; i < message.Buffers.Count; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4 * (i + 2)), (uint)offset);
            message.Buffers[i].Span.CopyTo(frame.AsSpan(offset));
            offset += message.Buffers[i].Length;
        }
        return (frame, true);
    }

    private static byte[] WriteJson(KernelChannel channel, JupyterMessage message, bool includeEmptyBuffers)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("channel", channel.ToWireName());
            w.WritePropertyName("header");
            HeaderJson.Write(w, message.Header);
            w.WritePropertyName("parent_header");
            HeaderJson.Write(w, message.ParentHeader);
            w.WritePropertyName("metadata");
            WriteObject(w, message.Metadata);
            w.WritePropertyName("content");
            WriteObject(w, message.Content);
            if (includeEmptyBuffers)
            {
                w.WriteStartArray("buffers");
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteObject(Utf8JsonWriter w, JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.Undefined) { w.WriteStartObject(); w.WriteEndObject(); }
        else e.WriteTo(w);
    }

    public static WebSocketDecodeResult DeserializeText(ReadOnlyMemory<byte> utf8) => DecodeJson(utf8.Span, Array.Empty<ReadOnlyMemory<byte>>());

    public static WebSocketDecodeResult DeserializeBinary(ReadOnlyMemory<byte> frame)
    {
        var span = frame.Span;
        if (span.Length < 4) return WebSocketDecodeResult.Fail("legacy binary frame shorter than its part count");
        var count = BinaryPrimitives.ReadUInt32BigEndian(span);
        if (count < 1 || count > MaxParts) return WebSocketDecodeResult.Fail($"legacy binary frame has {count} parts");
        int n = (int)count;
        long tableEnd = 4L * (n + 1);
        if (tableEnd > span.Length) return WebSocketDecodeResult.Fail("legacy offset table runs past the end of the frame");
        var offsets = new int[n + 1];
        for (int i = 0; i < n; i++)
        {
            var o = BinaryPrimitives.ReadUInt32BigEndian(span[(4 * (i + 1))..]);
            if (o > span.Length) return WebSocketDecodeResult.Fail($"legacy offset {i} ({o}) is past the end of the frame ({span.Length} bytes)");
            if (i == 0 ? o < tableEnd : (int)o < offsets[i - 1]) return WebSocketDecodeResult.Fail($"legacy offset {i} ({o}) is out of order");
            offsets[i] = (int)o;
        }
        offsets[n] = span.Length;
        var buffers = new ReadOnlyMemory<byte>[n - 1];
        for (int i = 1; i < n; i++) buffers[i - 1] = frame[offsets[i]..offsets[i + 1]].ToArray();
        return DecodeJson(span[offsets[0]..offsets[1]], buffers);
    }

    private static WebSocketDecodeResult DecodeJson(ReadOnlySpan<byte> json, ReadOnlyMemory<byte>[] buffers)
    {
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
            using var doc = JsonDocument.ParseValue(ref reader);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return WebSocketDecodeResult.Fail("legacy message is not a JSON object");
            var channelName = root.GetStringOrNull("channel") ?? "shell";
            if (!KernelChannelNames.TryParse(channelName, out var channel))
                return WebSocketDecodeResult.Fail($"legacy message names an unknown channel '{WebSocketV1Framing.Shorten(channelName)}'");
            var header = ReadHeader(root, "header") ?? throw new FormatException("empty header");
            var parent = ReadHeader(root, "parent_header");
            return WebSocketDecodeResult.Ok(channel, new JupyterMessage
            {
                Header = header,
                ParentHeader = parent,
                Metadata = ObjectOrEmpty(root, "metadata"),
                Content = ObjectOrEmpty(root, "content"),
                Buffers = buffers,
            });
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or ArgumentException)
        {
            return WebSocketDecodeResult.Fail("legacy message: " + e.Message);
        }
    }

    private static MessageHeader? ReadHeader(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null) return null;
        return HeaderJson.Read(System.Text.Encoding.UTF8.GetBytes(e.GetRawText()));
    }

    private static JsonElement ObjectOrEmpty(JsonElement root, string name)
        => root.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.Object ? e.Clone() : JupyterMessage.Empty;
}
