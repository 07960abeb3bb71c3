using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using JupyterKernels.Connections;
using JupyterKernels.Messaging;

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
    private KernelError? _errorReply;

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

    public void Add(KernelProtocolMessage message)
    {
        switch (message.Channel)
        {
            case KernelChannel.IOPub:
                OnIOPub(message);
                break;
            case KernelChannel.Shell when message.MsgType == MessageTypes.ExecuteReply:
                _timing["shell.execute_reply"] = message.Message.Header.Date;
                if (OutputConverter.ExecutionCount(message.Message) is { } count) SetExecutionCount(count);
                if (OutputConverter.ReplyStatus(message.Message) == ReplyStatuses.Error)
                    _errorReply = OutputConverter.Error(message.KernelId, message.Message, message.Message.Content);
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

    private void OnIOPub(KernelProtocolMessage message)
    {
        switch (message.Output)
        {
            case null when message.MsgType == MessageTypes.Status:
                var state = OutputConverter.ExecutionState(message.Message);
                if (state == ExecutionStates.Busy) _timing["iopub.status.busy"] = message.Message.Header.Date;
                else if (state == ExecutionStates.Idle) _timing["iopub.status.idle"] = message.Message.Header.Date;
                break;
            case null when message.MsgType == MessageTypes.ExecuteInput:
                _timing["iopub.execute_input"] = message.Message.Header.Date;
                if (OutputConverter.ExecutionCount(message.Message) is { } n) SetExecutionCount(n);
                break;
            case KernelClearOutput clear:
                if (clear.Wait) _clearBeforeNext = true;
                else Clear();
                break;
            case KernelStreamOutput stream:
                AppendStream(stream.Name, stream.Text);
                break;
            case KernelDisplayData { IsUpdate: true } update:
                // Not an output of its own: it rewrites the outputs that carry the id (nbclient does the same).
                if (DisplayId(update.DisplayId) is { } id)
                    _displays.Update(id, new JsonObject { ["data"] = Node(update.DataJson) ?? new JsonObject(), ["metadata"] = Node(update.MetadataJson) ?? new JsonObject() });
                break;
            case KernelDisplayData display:
                AppendDisplayed(new JsonObject
                {
                    ["output_type"] = "display_data",
                    ["data"] = Node(display.DataJson) ?? new JsonObject(),
                    ["metadata"] = Node(display.MetadataJson) ?? new JsonObject(),
                }, DisplayId(display.DisplayId));
                break;
            case KernelExecuteResult result:
                // A result can carry a display id too (IPython's display(obj, display_id=...) as a cell's value), and
                // later updates rewrite it as they rewrite display_data (nbclient maps every output with an id).
                AppendDisplayed(new JsonObject
                {
                    ["output_type"] = "execute_result",
                    ["execution_count"] = result.ExecutionCount ?? ExecutionCount,
                    ["data"] = Node(result.DataJson) ?? new JsonObject(),
                    ["metadata"] = Node(result.MetadataJson) ?? new JsonObject(),
                }, DisplayId(result.DisplayId));
                break;
            case KernelError error:
                Append(ErrorOutput(error));
                break;
        }
    }

    private void AppendDisplayed(JsonObject output, string? displayId)
    {
        if (displayId is not null) _displays.Update(displayId, output);
        Append(output);
        if (displayId is not null) _displays.Add(displayId, _cellIndex, output);
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

    private static JsonObject ErrorOutput(KernelError error) => new()
    {
        ["output_type"] = "error",
        ["ename"] = error.Ename,
        ["evalue"] = error.Evalue,
        ["traceback"] = new JsonArray(error.Traceback.Select(line => (JsonNode?)JsonValue.Create(line)).ToArray()),
    };

    private static string? DisplayId(string? id) => string.IsNullOrEmpty(id) ? null : id;

    /// <summary>The kernel's JSON as a node of the record, kept exactly as sent (numbers as written).</summary>
    private static JsonNode? Node(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => JsonObject.Create(element),
        JsonValueKind.Array => JsonArray.Create(element),
        JsonValueKind.Undefined or JsonValueKind.Null => null,
        _ => JsonValue.Create(element),
    };
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
