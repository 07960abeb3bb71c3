using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace JupyterKernels.Notebooks;

/// <summary>
/// Turns the messages of one cell's execution into that cell's nbformat outputs and timings, as nbclient does:
/// stream outputs merged when consecutive and of the same name (carriage returns and backspaces applied, as the
/// notebook frontends show them), execute_result with its execution_count, display_data recorded without its
/// transient part, update_display_data applied to every output (display_data or execute_result) that carries the
/// display id (in any cell),
/// clear_output honoured (wait=True clears at the next output), and metadata.execution from the message headers.
/// </summary>
internal sealed class CellOutputCollector
{
    private readonly JsonObject _cell;
    private readonly JsonArray _outputs;
    private readonly JsonObject _timing;
    private readonly DisplayIdMap _displays;
    private readonly int _cellIndex;
    private bool _clearBeforeNext;
    private JsonObject? _errorReply;

    public CellOutputCollector(JsonObject cell, int cellIndex, DisplayIdMap displays)
    {
        _cell = cell;
        _cellIndex = cellIndex;
        _displays = displays;
        _outputs = new JsonArray();
        cell["outputs"] = _outputs;
        cell["execution_count"] = null;
        var metadata = (JsonObject)cell["metadata"]!;
        _timing = new JsonObject();
        metadata["execution"] = _timing;
        displays.ForgetCell(cellIndex);
    }

    /// <summary>The first error output of the cell (from IOPub or, failing that, the error reply), if any.</summary>
    public JsonObject? FirstError { get; private set; }

    public int? ExecutionCount { get; private set; }

    public void Add(KernelRawMessage message)
    {
        switch (message.Channel)
        {
            case "iopub":
                OnIOPub(message);
                break;
            case "shell" when message.MsgType == "execute_reply":
                _timing["shell.execute_reply"] = HeaderDate(message);
                var reply = JsonNode.Parse(message.ContentJson) as JsonObject;
                if (reply?["execution_count"] is JsonValue countValue && countValue.TryGetValue<int>(out var count)) SetExecutionCount(count);
                if (reply?["status"] is JsonValue s && s.TryGetValue<string>(out var status) && status == "error") _errorReply = reply;
                break;
        }
    }

    /// <summary>
    /// After the last message. A kernel may report an error only in its reply (the spec allows it): then the reply's
    /// error becomes the cell's error output. Deferred to the end because IOPub and shell are separate streams: the
    /// IOPub error can arrive after the reply.
    /// </summary>
    public void Finish()
    {
        if (_errorReply is not null && FirstError is null) Append(ErrorOutput(_errorReply));
    }

    private void OnIOPub(KernelRawMessage message)
    {
        switch (message.MsgType)
        {
            case "status":
                var state = JsonNode.Parse(message.ContentJson)?["execution_state"]?.GetValue<string>();
                if (state == "busy") _timing["iopub.status.busy"] = HeaderDate(message);
                else if (state == "idle") _timing["iopub.status.idle"] = HeaderDate(message);
                return;
            case "execute_input":
                _timing["iopub.execute_input"] = HeaderDate(message);
                if (JsonNode.Parse(message.ContentJson)?["execution_count"] is JsonValue v && v.TryGetValue<int>(out var n)) SetExecutionCount(n);
                return;
            case "clear_output":
                if (JsonNode.Parse(message.ContentJson)?["wait"] is JsonValue w && w.TryGetValue<bool>(out var wait) && wait) _clearBeforeNext = true;
                else Clear();
                return;
        }
        var content = JsonNode.Parse(message.ContentJson) as JsonObject;
        if (content is null) return;
        switch (message.MsgType)
        {
            case "stream":
                AppendStream(content["name"]?.GetValue<string>() ?? "stdout", content["text"]?.GetValue<string>() ?? "");
                break;
            case "display_data":
            {
                var output = new JsonObject
                {
                    ["output_type"] = "display_data",
                    ["data"] = Detach(content["data"]) ?? new JsonObject(),
                    ["metadata"] = Detach(content["metadata"]) ?? new JsonObject(),
                };
                var displayId = DisplayId(content);
                if (displayId is not null) _displays.Update(displayId, output);
                Append(output);
                if (displayId is not null) _displays.Add(displayId, _cellIndex, output);
                break;
            }
            case "update_display_data":
                // Not an output of its own: it rewrites the outputs that carry the id (nbclient does the same).
                if (DisplayId(content) is { } id)
                    _displays.Update(id, new JsonObject { ["data"] = Detach(content["data"]) ?? new JsonObject(), ["metadata"] = Detach(content["metadata"]) ?? new JsonObject() });
                break;
            case "execute_result":
            {
                var count = content["execution_count"] is JsonValue cv && cv.TryGetValue<int>(out var c) ? c : ExecutionCount;
                var output = new JsonObject
                {
                    ["output_type"] = "execute_result",
                    ["execution_count"] = count,
                    ["data"] = Detach(content["data"]) ?? new JsonObject(),
                    ["metadata"] = Detach(content["metadata"]) ?? new JsonObject(),
                };
                // A result can carry a display id too (IPython's display(obj, display_id=...) as a cell's value), and
                // later updates rewrite it as they rewrite display_data (nbclient maps every output with an id).
                var displayId = DisplayId(content);
                if (displayId is not null) _displays.Update(displayId, output);
                Append(output);
                if (displayId is not null) _displays.Add(displayId, _cellIndex, output);
                break;
            }
            case "error":
                Append(ErrorOutput(content));
                break;
        }
    }

    private void SetExecutionCount(int count)
    {
        ExecutionCount = count;
        _cell["execution_count"] = count;
    }

    private void Append(JsonObject output)
    {
        if (_clearBeforeNext) Clear();
        if (output["output_type"]?.GetValue<string>() == "error") FirstError ??= output;
        _outputs.Add(output);
    }

    private void Clear()
    {
        _clearBeforeNext = false;
        _outputs.Clear();
        _displays.ForgetCell(_cellIndex);
    }

    private void AppendStream(string name, string text)
    {
        if (_clearBeforeNext) Clear();
        if (_outputs.Count > 0 && _outputs[^1] is JsonObject last && last["output_type"]?.GetValue<string>() == "stream" && last["name"]?.GetValue<string>() == name)
        {
            last["text"] = ApplyControlCharacters(last["text"]!.GetValue<string>() + text);
            return;
        }
        _outputs.Add(new JsonObject { ["output_type"] = "stream", ["name"] = name, ["text"] = ApplyControlCharacters(text) });
    }

    private static readonly Regex CarriageReturnNewline = new(@"\r+\n", RegexOptions.Compiled);
    private static readonly Regex OverwrittenByCarriageReturn = new(@"[^\n]*\r(?=[^\n])", RegexOptions.Compiled);
    private static readonly Regex Backspaced = new(@"[^\n]\x08", RegexOptions.Compiled);

    /// <summary>
    /// What a terminal (and the notebook frontends) would show: text before a carriage return on the same line is
    /// overwritten, a backspace erases the character before it. A trailing '\r' is kept: the next chunk overwrites.
    /// </summary>
    internal static string ApplyControlCharacters(string text)
    {
        if (text.IndexOf('\r') < 0 && text.IndexOf('\b') < 0) return text;
        text = CarriageReturnNewline.Replace(text, "\n");
        text = OverwrittenByCarriageReturn.Replace(text, "");
        string previous;
        do
        {
            previous = text;
            text = Backspaced.Replace(text, "");
        } while (text != previous);
        return text;
    }

    private static JsonObject ErrorOutput(JsonObject content) => new()
    {
        ["output_type"] = "error",
        ["ename"] = content["ename"]?.GetValue<string>() ?? "Error",
        ["evalue"] = content["evalue"]?.GetValue<string>() ?? "",
        ["traceback"] = Detach(content["traceback"]) as JsonArray ?? new JsonArray(),
    };

    private static string? DisplayId(JsonObject content) =>
        (content["transient"] as JsonObject)?["display_id"] is JsonValue v && v.TryGetValue<string>(out var id) && id.Length > 0 ? id : null;

    private static JsonNode? Detach(JsonNode? node)
    {
        if (node is null) return null;
        node.Parent?.AsObject().Remove(node.GetPropertyName());
        return node;
    }

    private static string HeaderDate(KernelRawMessage message)
    {
        try
        {
            using var header = JsonDocument.Parse(message.HeaderJson);
            return header.RootElement.TryGetProperty("date", out var date) && date.ValueKind == JsonValueKind.String ? date.GetString()! : Now();
        }
        catch (JsonException)
        {
            return Now();
        }
    }

    private static string Now() => DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>display_id → the outputs (in any cell) that show it, so update_display_data rewrites them all.</summary>
internal sealed class DisplayIdMap
{
    private readonly Dictionary<string, List<(int Cell, JsonObject Output)>> _map = new(StringComparer.Ordinal);
    private readonly HashSet<JsonObject> _changedCells = new(ReferenceEqualityComparer.Instance);

    /// <summary>The cells whose outputs an update rewrote since the last call (their written text is stale).</summary>
    public IReadOnlyCollection<JsonObject> TakeChangedCells()
    {
        if (_changedCells.Count == 0) return Array.Empty<JsonObject>();
        var changed = _changedCells.ToList();
        _changedCells.Clear();
        return changed;
    }

    public void Add(string displayId, int cellIndex, JsonObject output)
    {
        if (!_map.TryGetValue(displayId, out var list)) _map[displayId] = list = new();
        list.Add((cellIndex, output));
    }

    public void Update(string displayId, JsonObject update)
    {
        if (!_map.TryGetValue(displayId, out var list)) return;
        foreach (var (_, output) in list)
        {
            output["data"] = update["data"]?.DeepClone() ?? new JsonObject();
            output["metadata"] = update["metadata"]?.DeepClone() ?? new JsonObject();
            // output → the cell's outputs list → the cell
            if (output.Parent?.Parent is JsonObject cell) _changedCells.Add(cell);
        }
    }

    public void ForgetCell(int cellIndex)
    {
        foreach (var list in _map.Values) list.RemoveAll(e => e.Cell == cellIndex);
    }

    /// <summary>Cells were inserted before <paramref name="index"/>: shift the recorded positions.</summary>
    public void Shift(int index, int by)
    {
        foreach (var list in _map.Values)
            for (int i = 0; i < list.Count; i++)
                if (list[i].Cell >= index) list[i] = (list[i].Cell + by, list[i].Output);
    }
}
