using System.Text.Json;

namespace JupyterKernels.Messaging;

/// <summary>Reads and writes headers by hand: they are on every message, so no reflection and no DOM on the hot path.</summary>
internal static class HeaderJson
{
    public static void Write(Utf8JsonWriter writer, MessageHeader? header)
    {
        writer.WriteStartObject();
        if (header is not null)
        {
            writer.WriteString("msg_id", header.MsgId);
            writer.WriteString("session", header.Session);
            writer.WriteString("username", header.Username);
            writer.WriteString("date", header.Date);
            writer.WriteString("msg_type", header.MsgType);
            writer.WriteString("version", header.Version);
            if (header.SubshellId is not null) writer.WriteString("subshell_id", header.SubshellId);
        }
        writer.WriteEndObject();
    }

    public static byte[] ToUtf8(MessageHeader? header)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer)) Write(writer, header);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Parses a header object; returns null for <c>{}</c>. Throws <see cref="FormatException"/> when it is not a header.</summary>
    public static MessageHeader? Read(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 64 });
        return Read(ref reader);
    }

    public static MessageHeader? Read(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.None && !reader.Read()) throw new FormatException("empty header");
        if (reader.TokenType != JsonTokenType.StartObject) throw new FormatException("header is not a JSON object");
        string? msgId = null, session = null, username = null, date = null, msgType = null, version = null, subshell = null;
        bool any = false;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            if (reader.TokenType != JsonTokenType.PropertyName) throw new FormatException("malformed header");
            any = true;
            var name = reader.GetString();
            reader.Read();
            string? value = reader.TokenType switch
            {
                JsonTokenType.String => reader.GetString(),
                JsonTokenType.Null => null,
                JsonTokenType.StartObject or JsonTokenType.StartArray => Skip(ref reader),
                _ => System.Text.Encoding.UTF8.GetString(reader.ValueSpan),
            };
            switch (name)
            {
                case "msg_id": msgId = value; break;
                case "session": session = value; break;
                case "username": username = value; break;
                case "date": date = value; break;
                case "msg_type": msgType = value; break;
                case "version": version = value; break;
                case "subshell_id": subshell = value; break;
            }
        }
        if (!any) return null;
        if (msgId is null || msgType is null) throw new FormatException("header lacks msg_id or msg_type");
        return new MessageHeader
        {
            MsgId = msgId,
            Session = session ?? "",
            Username = username ?? "",
            Date = date ?? "",
            MsgType = msgType,
            Version = version ?? "",
            SubshellId = subshell,
        };
    }

    private static string? Skip(ref Utf8JsonReader reader)
    {
        reader.Skip();
        return null;
    }
}
