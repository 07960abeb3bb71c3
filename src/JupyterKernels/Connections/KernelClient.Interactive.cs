using System.Text.Json;
using JupyterKernels.Messaging;

namespace JupyterKernels.Connections;

// The requests an interactive console makes between cells (as jupyter_console does): completion, whether a cell is
// complete, the kernel's input history. All go on the shell channel, as the protocol has them; a kernel busy with a
// long cell answers them only after it, so every wait here is short and bounded, and a console treats silence as
// "no answer" rather than as a failure.
internal sealed partial class KernelClient
{
    /// <summary>complete_request: what the kernel offers at <paramref name="cursor"/> (a UTF-16 index into
    /// <paramref name="code"/>). The protocol counts cursor positions in Unicode code points; the conversion both
    /// ways happens here, so callers index their own strings.</summary>
    /// <exception cref="KernelException">KernelNotResponding when no reply comes within <paramref name="timeout"/>.</exception>
    public async Task<CodeCompletion> CompleteAsync(string code, int cursor, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(code);
        cursor = Math.Clamp(cursor, 0, code.Length);
        var reply = await RequestAsync(KernelChannel.Shell, MessageTypes.CompleteRequest,
            RequestContent.Complete(code, CodePoints.FromUtf16Index(code, cursor)), timeout, cancellationToken).ConfigureAwait(false);
        var content = reply.Content;
        if (content.GetStringOrNull(ContentKeys.Status) is ReplyStatuses.Error) return new CodeCompletion(Array.Empty<string>(), cursor, cursor);
        var start = content.GetInt32OrNull("cursor_start") is { } s ? CodePoints.ToUtf16Index(code, s) : cursor;
        var end = content.GetInt32OrNull("cursor_end") is { } e ? CodePoints.ToUtf16Index(code, e) : cursor;
        if (end < start) (start, end) = (end, start);
        return new CodeCompletion(content.GetStringList("matches"), start, end) { Types = CompletionTypes(content) };
    }

    /// <summary>IPython's experimental per-match types (function, module, ...), when the kernel sends them.</summary>
    private static IReadOnlyList<string>? CompletionTypes(JsonElement content)
    {
        if (content.GetPropertyOrNull("metadata") is not { ValueKind: JsonValueKind.Object } metadata
            || metadata.GetPropertyOrNull("_jupyter_types_experimental") is not { ValueKind: JsonValueKind.Array } types)
            return null;
        var list = new List<string>(types.GetArrayLength());
        foreach (var item in types.EnumerateArray())
            list.Add(item.ValueKind == JsonValueKind.Object ? item.GetStringOrNull("type") ?? "" : "");
        return list;
    }

    /// <summary>is_complete_request: whether <paramref name="code"/> is a whole cell, or the kernel expects more
    /// lines (and with which indent). Null when the kernel does not answer within <paramref name="timeout"/> (busy
    /// with another client's cell, or a kernel that ignores the request): the caller decides without it.</summary>
    public async Task<CodeCompleteness?> IsCompleteAsync(string code, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(code);
        var reply = await TryRequestAsync(KernelChannel.Shell, MessageTypes.IsCompleteRequest, RequestContent.IsComplete(code), timeout, cancellationToken)
            .ConfigureAwait(false);
        if (reply is null) return null;
        var status = OutputConverter.ReplyStatus(reply) switch
        {
            "complete" => CodeCompletenessStatus.Complete,
            "incomplete" => CodeCompletenessStatus.Incomplete,
            "invalid" => CodeCompletenessStatus.Invalid,
            _ => CodeCompletenessStatus.Unknown,
        };
        return new CodeCompleteness(status, reply.Content.GetStringOrNull("indent") ?? "");
    }

    /// <summary>history_request (tail, raw): the kernel's last <paramref name="count"/> inputs, oldest first. Empty
    /// when the kernel keeps no history (many do not) or does not answer within <paramref name="timeout"/>.</summary>
    public async Task<IReadOnlyList<KernelHistoryEntry>> GetHistoryTailAsync(int count, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var reply = await TryRequestAsync(KernelChannel.Shell, MessageTypes.HistoryRequest, RequestContent.HistoryTail(count), timeout, cancellationToken)
            .ConfigureAwait(false);
        if (reply?.Content.GetPropertyOrNull("history") is not { ValueKind: JsonValueKind.Array } history) return Array.Empty<KernelHistoryEntry>();
        var entries = new List<KernelHistoryEntry>(history.GetArrayLength());
        foreach (var item in history.EnumerateArray())
        {
            // [session, line, input] (raw, without output); anything else is not what was asked for.
            if (item.ValueKind != JsonValueKind.Array || item.GetArrayLength() < 3) continue;
            // xeus-python sends the numbers as strings.
            var session = Number(item[0]);
            var line = Number(item[1]);
            if (item[2].ValueKind == JsonValueKind.String) entries.Add(new KernelHistoryEntry(session, line, item[2].GetString()!));
        }
        return entries;
    }

    private static int Number(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number when value.TryGetInt32(out var n) => n,
        JsonValueKind.String when int.TryParse(value.GetString(), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var n) => n,
        _ => 0,
    };
}

/// <summary>A complete_reply: the matches replace <c>code[CursorStart..CursorEnd]</c> (UTF-16 indices of the code asked about).</summary>
public sealed record CodeCompletion(IReadOnlyList<string> Matches, int CursorStart, int CursorEnd)
{
    /// <summary>Per match, the kind the kernel gave (function, module, ...), or null when it gave none.</summary>
    public IReadOnlyList<string>? Types { get; init; }
}

/// <summary>An is_complete_reply's status (the messaging spec's four words).</summary>
public enum CodeCompletenessStatus { Complete, Incomplete, Invalid, Unknown }

/// <summary>An is_complete_reply: its status, and for an incomplete cell the indent the next line should start with.</summary>
public sealed record CodeCompleteness(CodeCompletenessStatus Status, string Indent);

/// <summary>One input of a kernel's history: the kernel's session number, the line (execution count) within it, the code.</summary>
public sealed record KernelHistoryEntry(int Session, int Line, string Input);

/// <summary>Cursor positions as the protocol counts them (Unicode code points, protocol 5.2) and as .NET strings do (UTF-16).</summary>
internal static class CodePoints
{
    public static int FromUtf16Index(string text, int index)
    {
        var points = 0;
        for (var i = 0; i < index && i < text.Length; i++)
            if (!(char.IsLowSurrogate(text[i]) && i > 0 && char.IsHighSurrogate(text[i - 1]))) points++;
        return points;
    }

    public static int ToUtf16Index(string text, int codePoints)
    {
        var i = 0;
        for (var n = 0; n < codePoints && i < text.Length; n++)
            i += char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
        return i;
    }
}
