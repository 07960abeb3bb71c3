using System.Buffers;
using System.Text.Json;

namespace JupyterKernels.Messaging;

/// <summary>Content of the requests a client sends (field names exact per the messaging spec).</summary>
internal static class RequestContent
{
    public static JsonElement Execute(string code, bool silent = false, bool storeHistory = true, bool allowStdin = true, bool stopOnError = true)
        => Build(w =>
        {
            w.WriteString("code", code);
            w.WriteBoolean("silent", silent);
            w.WriteBoolean("store_history", storeHistory && !silent);
            w.WriteStartObject("user_expressions");
            w.WriteEndObject();
            w.WriteBoolean("allow_stdin", allowStdin);
            w.WriteBoolean("stop_on_error", stopOnError);
        });

    public static JsonElement InputReply(string value) => Build(w => w.WriteString("value", value));

    public static JsonElement Shutdown(bool restart) => Build(w => w.WriteBoolean("restart", restart));

    public static JsonElement DeleteSubshell(string subshellId) => Build(w => w.WriteString("subshell_id", subshellId));

    public static JsonElement Complete(string code, int cursorPos) => Build(w =>
    {
        w.WriteString("code", code);
        w.WriteNumber("cursor_pos", cursorPos);
    });

    public static JsonElement IsComplete(string code) => Build(w => w.WriteString("code", code));

    /// <summary>history_request for the last <paramref name="count"/> inputs (hist_access_type "tail"), raw as typed.</summary>
    public static JsonElement HistoryTail(int count) => Build(w =>
    {
        w.WriteBoolean("output", false);
        w.WriteBoolean("raw", true);
        w.WriteString("hist_access_type", "tail");
        w.WriteNumber("n", count);
    });

    public static JsonElement Empty => JupyterMessage.Empty;

    /// <summary>Builds a JSON object from a writer callback (no reflection, trimming-safe).</summary>
    public static JsonElement Build(Action<Utf8JsonWriter> writeProperties)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writeProperties(writer);
            writer.WriteEndObject();
        }
        var reader = new Utf8JsonReader(buffer.WrittenSpan);
        return JsonElement.ParseValue(ref reader);
    }
}
