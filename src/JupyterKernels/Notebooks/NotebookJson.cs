using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using JupyterKernels.Messaging;

namespace JupyterKernels.Notebooks;

/// <summary>
/// JSON text exactly as nbformat writes it — <c>json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False)</c>
/// plus a trailing newline — so a notebook we write diffs cleanly against one Jupyter wrote.
/// </summary>
internal static class NotebookJson
{
    /// <summary>
    /// Where a value sits in a notebook: nbformat writes multiline strings (cell sources, stream text, non-JSON MIME
    /// data) as lists of lines, and only those.
    /// </summary>
    private enum Place { Other, Root, Cells, Cell, Outputs, Output, Data }

    /// <summary>Any JSON value, nbformat's layout, no line splitting.</summary>
    public static string Serialize(JsonNode? node) => Serialize(node, Place.Other);

    /// <summary>A notebook: nbformat's layout, with multiline strings split into lines as nbformat's writer does.</summary>
    /// <param name="cellText">Each cell's text as <see cref="SerializeCell"/> gives it (a cache); null: serialize them.</param>
    public static string SerializeNotebook(JsonObject notebook, Func<JsonObject, string>? cellText = null) => Serialize(notebook, Place.Root, cellText);

    /// <summary>One cell as it stands in a notebook's "cells" list (indented for that place, no trailing newline).</summary>
    public static string SerializeCell(JsonObject cell)
    {
        var sb = new StringBuilder(512);
        Write(sb, cell, CellDepth, Place.Cell, null);
        return sb.ToString();
    }

    /// <summary>Cells are the items of the root's "cells" list: two levels down.</summary>
    private const int CellDepth = 2;

    private static string Serialize(JsonNode? node, Place place, Func<JsonObject, string>? cellText = null)
    {
        var sb = new StringBuilder(4096);
        Write(sb, node, 0, place, cellText);
        sb.Append('\n');
        return sb.ToString();
    }

    private static Place ChildPlace(Place parent, string? key) => (parent, key) switch
    {
        (Place.Root, "cells") => Place.Cells,
        (Place.Cells, null) => Place.Cell,
        (Place.Cell, "outputs") => Place.Outputs,
        (Place.Outputs, null) => Place.Output,
        (Place.Output, "data") => Place.Data,
        _ => Place.Other,
    };

    private static bool SplitsLines(Place parent, string key) => parent switch
    {
        Place.Cell => key == "source",
        Place.Output => key == "text",
        Place.Data => !IsJsonMime(key),
        _ => false,
    };

    /// <summary>nbformat's _is_json_mime: JSON MIME types keep their structure (never split into lines).</summary>
    public static bool IsJsonMime(string mime) =>
        mime == "application/json" || (mime.StartsWith("application/", StringComparison.Ordinal) && mime.EndsWith("+json", StringComparison.Ordinal));

    /// <summary>Python's str.splitlines(True) for '\n' endings ('\r\n' stays with its line); "" gives no lines.</summary>
    public static List<string> SplitLines(string text)
    {
        var lines = new List<string>();
        int start = 0;
        while (start < text.Length)
        {
            int nl = text.IndexOf('\n', start);
            int end = nl < 0 ? text.Length : nl + 1;
            lines.Add(text.Substring(start, end - start));
            start = end;
        }
        return lines;
    }

    private static void WriteLines(StringBuilder sb, string text, int depth)
    {
        var lines = SplitLines(text);
        if (lines.Count == 0) { sb.Append("[]"); return; }
        sb.Append("[\n");
        for (int i = 0; i < lines.Count; i++)
        {
            Indent(sb, depth + 1);
            WriteString(sb, lines[i]);
            if (i < lines.Count - 1) sb.Append(',');
            sb.Append('\n');
        }
        Indent(sb, depth);
        sb.Append(']');
    }

    private static void Write(StringBuilder sb, JsonNode? node, int depth, Place place, Func<JsonObject, string>? cellText)
    {
        switch (node)
        {
            case null:
                sb.Append("null");
                break;
            case JsonObject obj:
                if (obj.Count == 0) { sb.Append("{}"); break; }
                sb.Append("{\n");
                var keys = obj.Select(p => p.Key).ToList();
                keys.Sort(string.CompareOrdinal); // Python sorts str keys by code point
                for (int i = 0; i < keys.Count; i++)
                {
                    Indent(sb, depth + 1);
                    WriteString(sb, keys[i]);
                    sb.Append(": ");
                    var child = obj[keys[i]];
                    if (child is JsonValue v && SplitsLines(place, keys[i]) && v.TryGetValue<string>(out var text))
                        WriteLines(sb, text, depth + 1);
                    else
                        Write(sb, child, depth + 1, ChildPlace(place, keys[i]), cellText);
                    if (i < keys.Count - 1) sb.Append(',');
                    sb.Append('\n');
                }
                Indent(sb, depth);
                sb.Append('}');
                break;
            case JsonArray arr:
                if (arr.Count == 0) { sb.Append("[]"); break; }
                sb.Append("[\n");
                for (int i = 0; i < arr.Count; i++)
                {
                    Indent(sb, depth + 1);
                    if (place == Place.Cells && cellText is not null && arr[i] is JsonObject cell) sb.Append(cellText(cell));
                    else Write(sb, arr[i], depth + 1, ChildPlace(place, null), cellText);
                    if (i < arr.Count - 1) sb.Append(',');
                    sb.Append('\n');
                }
                Indent(sb, depth);
                sb.Append(']');
                break;
            case JsonValue value:
                WriteValue(sb, value);
                break;
        }
    }

    private static void Indent(StringBuilder sb, int depth) => sb.Append(' ', depth);

    private static void WriteValue(StringBuilder sb, JsonValue value)
    {
        if (value.TryGetValue<JsonElement>(out var element))
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.String: WriteString(sb, element.GetString()!); return;
                case JsonValueKind.Number: sb.Append(element.GetRawText()); return;
                case JsonValueKind.True: sb.Append("true"); return;
                case JsonValueKind.False: sb.Append("false"); return;
                default: sb.Append("null"); return;
            }
        }
        if (value.TryGetValue<string>(out var s)) { WriteString(sb, s); return; }
        if (value.TryGetValue<bool>(out var b)) { sb.Append(b ? "true" : "false"); return; }
        if (value.TryGetValue<double>(out var d)) { sb.Append(PythonFloat(d)); return; }
        if (value.TryGetValue<float>(out var f)) { sb.Append(PythonFloat(f)); return; }
        if (value.TryGetValue<decimal>(out var m)) { sb.Append(m.ToString(CultureInfo.InvariantCulture)); return; }
        // Integers of any width, and anything else System.Text.Json can write.
        sb.Append(value.ToJsonString());
    }

    /// <summary>Python's float repr: shortest round-trip digits, always a '.0' or an exponent; nan/inf as Python writes them.</summary>
    public static string PythonFloat(double d)
    {
        if (double.IsNaN(d)) return "NaN";
        if (double.IsPositiveInfinity(d)) return "Infinity";
        if (double.IsNegativeInfinity(d)) return "-Infinity";
        var r = d.ToString("R", CultureInfo.InvariantCulture);
        if (r.Contains('E'))
        {
            // .NET: 1E-05 / 1.5E+20; Python: 1e-05 / 1.5e+20
            var parts = r.Split('E');
            var exp = int.Parse(parts[1], CultureInfo.InvariantCulture);
            return $"{parts[0]}e{(exp < 0 ? "-" : "+")}{Math.Abs(exp):00}";
        }
        return r.Contains('.') ? r : r + ".0";
    }

    /// <summary>A JSON string as Python's json module writes it with ensure_ascii=False (nbformat's setting).</summary>
    public static void WriteString(StringBuilder sb, string s) => PythonJsonString.Append(sb, s, ensureAscii: false);
}
