using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace JupyterKernels.Notebooks;

/// <summary>
/// An nbformat 4 notebook as a JSON tree, read tolerantly (multiline strings as lists of lines are joined, missing
/// cell metadata/outputs/ids filled in, unknown fields kept as they are) and written as nbformat writes it.
/// </summary>
internal sealed class NotebookDocument
{
    private NotebookDocument(JsonObject root, string source)
    {
        Root = root;
        Source = source;
    }

    /// <summary>The whole notebook; unknown fields are preserved.</summary>
    internal JsonObject Root { get; }

    /// <summary>Where it was read from (for messages).</summary>
    public string Source { get; }

    internal JsonObject Metadata => (JsonObject)Root["metadata"]!;

    internal JsonArray Cells => (JsonArray)Root["cells"]!;

    public int CellCount => Cells.Count;

    public int NbformatMinor => Root["nbformat_minor"] is JsonValue v && v.TryGetValue<int>(out var m) ? m : 0;

    /// <summary>nbformat 4.5 and later: every cell has an id.</summary>
    public bool HasCellIds => NbformatMinor >= 5;

    /// <summary>metadata.kernelspec.name, if the notebook names its kernel.</summary>
    public string? KernelName => (Metadata["kernelspec"] as JsonObject)?["name"] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;

    /// <summary>The kernel's language as the notebook records it: kernelspec.language, else language_info.name.</summary>
    public string? Language
    {
        get
        {
            if ((Metadata["kernelspec"] as JsonObject)?["language"] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0) return s;
            if ((Metadata["language_info"] as JsonObject)?["name"] is JsonValue w && w.TryGetValue<string>(out var t) && t.Length > 0) return t;
            return null;
        }
    }

    internal JsonObject Cell(int index) => (JsonObject)Cells[index]!;

    public static string CellType(JsonObject cell) => cell["cell_type"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";

    public static string CellSource(JsonObject cell) => cell["source"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";

    public static IReadOnlyList<string> CellTags(JsonObject cell) =>
        (cell["metadata"] as JsonObject)?["tags"] is JsonArray tags
            ? tags.Select(t => t is JsonValue v && v.TryGetValue<string>(out var s) ? s : null).Where(s => s is not null).Select(s => s!).ToList()
            : Array.Empty<string>();

    public static bool HasTag(JsonObject cell, string tag) => CellTags(cell).Contains(tag, StringComparer.Ordinal);

    /// <summary>Reads a notebook file; every problem is a <see cref="KernelException"/> NotebookInvalid naming the file.</summary>
    public static NotebookDocument Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Invalid(path, $"cannot be read: {e.Message}", e);
        }
        return Parse(text, path);
    }

    public static NotebookDocument Parse(string json, string source)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = false, MaxDepth = 512 });
        }
        catch (JsonException e)
        {
            throw Invalid(source, $"is not valid JSON (line {e.LineNumber + 1}, position {e.BytePositionInLine + 1}): {FirstSentence(e.Message)}", e);
        }
        try
        {
            RequireUniqueKeys(node);
        }
        catch (ArgumentException e)
        {
            throw Invalid(source, $"is not valid nbformat JSON: an object has a key twice ({FirstSentence(e.Message)})", e);
        }
        if (node is not JsonObject root) throw Invalid(source, "is not a notebook: its JSON is not an object.");
        if (root["nbformat"] is not JsonValue nbv || !nbv.TryGetValue<int>(out var nbformat))
        {
            // nbformat 1/2 notebooks have no top-level nbformat either; v3 has "worksheets".
            if (root.ContainsKey("worksheets")) throw Invalid(source, "is nbformat 3 or older; convert it with 'jupyter nbconvert --to notebook --nbformat 4'.");
            throw Invalid(source, "is not a notebook: it has no 'nbformat' version.");
        }
        if (nbformat < 4) throw Invalid(source, $"is nbformat {nbformat}; only nbformat 4 is supported (convert it with 'jupyter nbconvert --to notebook --nbformat 4').");
        if (nbformat > 4) throw Invalid(source, $"is nbformat {nbformat}, newer than this module reads (4).");
        if (root["cells"] is not JsonArray cells) throw Invalid(source, "is not a valid nbformat 4 notebook: it has no 'cells' list.");
        if (root["metadata"] is null) root["metadata"] = new JsonObject();
        else if (root["metadata"] is not JsonObject) throw Invalid(source, "is not a valid nbformat 4 notebook: 'metadata' is not an object.");
        if (root["nbformat_minor"] is not JsonValue) root["nbformat_minor"] = 0;

        var document = new NotebookDocument(root, source);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < cells.Count; i++)
        {
            if (cells[i] is not JsonObject cell) throw Invalid(source, $"is not a valid nbformat 4 notebook: cell {i} is not an object.");
            var type = CellType(cell);
            if (type is not ("code" or "markdown" or "raw")) throw Invalid(source, $"is not a valid nbformat 4 notebook: cell {i} has cell_type '{type}'.");
            Normalize(cell, type);
            if (document.HasCellIds)
            {
                // nbformat fills in missing ids (and fixes duplicates) when it reads a 4.5 notebook; so do we.
                if (cell["id"] is not JsonValue idv || !idv.TryGetValue<string>(out var id) || id.Length == 0 || !ids.Add(id))
                {
                    id = NewCellId();
                    ids.Add(id);
                    cell["id"] = id;
                }
            }
        }
        return document;
    }

    /// <summary>
    /// System.Text.Json's JsonObject builds its key map on first use and throws ArgumentException then for a key that
    /// occurs twice — wherever that first use happens to be. Every object is opened here once, so a notebook with a
    /// duplicate key is NotebookInvalid at read time (found by the coverage-guided fuzzer, tests/Fuzz/corpus/notebook).
    /// Iterative: MaxDepth bounds the nesting, not the stack of this walk.
    /// </summary>
    private static void RequireUniqueKeys(JsonNode? root)
    {
        var pending = new Stack<JsonNode>();
        if (root is not null) pending.Push(root);
        while (pending.Count > 0)
        {
            switch (pending.Pop())
            {
                case JsonObject o:
                    foreach (var (_, value) in o) if (value is not null) pending.Push(value);
                    break;
                case JsonArray a:
                    foreach (var value in a) if (value is not null) pending.Push(value);
                    break;
            }
        }
    }

    /// <summary>Joins list-of-lines strings and fills in the fields nbformat requires of a cell.</summary>
    private static void Normalize(JsonObject cell, string type)
    {
        cell["source"] = JsonValue.Create(JoinLines(cell["source"]) ?? "");
        if (cell["metadata"] is not JsonObject) cell["metadata"] = new JsonObject();
        if (type != "code") return;
        if (!cell.ContainsKey("execution_count")) cell["execution_count"] = null;
        if (cell["outputs"] is not JsonArray outputs)
        {
            cell["outputs"] = new JsonArray();
            return;
        }
        foreach (var output in outputs.OfType<JsonObject>())
        {
            if (output["text"] is JsonArray) output["text"] = JoinLines(output["text"]);
            if (output["data"] is JsonObject data)
            {
                foreach (var key in data.Select(p => p.Key).ToList())
                    if (!NotebookJson.IsJsonMime(key) && data[key] is JsonArray) data[key] = JoinLines(data[key]);
            }
        }
    }

    private static string? JoinLines(JsonNode? node) => node switch
    {
        JsonArray lines => string.Concat(lines.Select(l => l is JsonValue v && v.TryGetValue<string>(out var s) ? s : "")),
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => null,
    };

    /// <summary>nbformat's new cell id: 8 hex digits of a random UUID.</summary>
    public static string NewCellId() => Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant();

    /// <summary>The notebook as nbformat writes it (sorted keys, 1-space indent, lines split, trailing newline).</summary>
    public string ToJson() => NotebookJson.SerializeNotebook(Root);

    /// <summary>
    /// Writes the notebook atomically (a temporary file, then a rename over the target) and durably (flushed to disk
    /// before the rename, the folder after it): see <see cref="NotebookWriter.WriteAtomically"/>.
    /// </summary>
    public void SaveAtomically(string path) => NotebookWriter.WriteAtomically(path, ToJson(), durable: true);

    internal static KernelException Invalid(string source, string problem, Exception? inner = null) =>
        new(ErrorIds.NotebookInvalid, KernelErrorCategory.InvalidData, $"'{source}' {problem}", source, inner);

    private static string FirstSentence(string message)
    {
        var i = message.IndexOf(". ", StringComparison.Ordinal);
        return i > 0 ? message[..(i + 1)] : message;
    }
}
