using System.Collections;
using System.Globalization;
using System.Numerics;
using System.Text.Json.Nodes;

namespace JupyterKernels.Notebooks;

/// <summary>
/// A parameter value reduced to what papermill passes (JSON/YAML types): null, string, bool, integer, float, list,
/// dictionary with string keys. Dates become ISO 8601 strings. Anything else is rejected before a kernel starts.
/// </summary>
public abstract record ParameterValue
{
    public sealed record Null : ParameterValue;
    public sealed record Text(string Value) : ParameterValue;
    public sealed record Boolean(bool Value) : ParameterValue;
    public sealed record Integer(BigInteger Value) : ParameterValue;
    public sealed record Float(double Value) : ParameterValue;
    public sealed record List(IReadOnlyList<ParameterValue> Items) : ParameterValue;
    /// <summary>Keys in the order given (a PowerShell [ordered] hashtable keeps its order).</summary>
    public sealed record Dictionary(IReadOnlyList<KeyValuePair<string, ParameterValue>> Entries) : ParameterValue;

    /// <summary>
    /// Converts a plain .NET value (the cmdlet unwraps PowerShell's PSObject first, via <paramref name="unwrap"/>).
    /// </summary>
    /// <exception cref="KernelException">NotebookParameterInvalid for a type with no literal in notebook languages.</exception>
    public static ParameterValue From(object? value, string path, Func<object?, object?>? unwrap = null)
    {
        value = unwrap is null ? value : unwrap(value);
        switch (value)
        {
            case null: return new Null();
            case string s: return new Text(s);
            case char c: return new Text(c.ToString());
            case bool b: return new Boolean(b);
            case byte or sbyte or short or ushort or int or uint or long or ulong:
                return new Integer(BigInteger.Parse(Convert.ToString(value, CultureInfo.InvariantCulture)!, CultureInfo.InvariantCulture));
            case BigInteger big: return new Integer(big);
            case float f: return new Float(f);
            case double d: return new Float(d);
            case decimal m: return new Float((double)m);
            case DateTimeOffset dto: return new Text(dto.ToString("o", CultureInfo.InvariantCulture));
            case DateTime dt: return new Text(dt.ToString("o", CultureInfo.InvariantCulture));
            case DateOnly date: return new Text(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            case IDictionary dict:
            {
                var entries = new List<KeyValuePair<string, ParameterValue>>();
                foreach (DictionaryEntry entry in dict)
                {
                    var key = unwrap is null ? entry.Key : unwrap(entry.Key);
                    if (key is not (string or char or int or long or short or byte or uint or ulong or ushort or sbyte))
                        throw Invalid(path, $"has a key of type {key?.GetType().Name ?? "null"}; dictionary keys must be strings.");
                    var name = Convert.ToString(key, CultureInfo.InvariantCulture)!;
                    entries.Add(new(name, From(entry.Value, $"{path}.{name}", unwrap)));
                }
                return new Dictionary(entries);
            }
            case IEnumerable items:
            {
                var list = new List<ParameterValue>();
                int i = 0;
                foreach (var item in items) list.Add(From(item, $"{path}[{i++}]", unwrap));
                return new List(list);
            }
            default:
                throw Invalid(path, $"is a {value.GetType().FullName}, which has no literal in a notebook's language. " +
                    "Use strings, numbers, booleans, $null, dates, arrays or hashtables.");
        }
    }

    /// <summary>The value as plain .NET objects (string, bool, long, double, object?[], ordered dictionary), for the run result.</summary>
    public object? ToPlain() => this switch
    {
        Text t => t.Value,
        Boolean b => b.Value,
        Integer i => i.Value >= long.MinValue && i.Value <= long.MaxValue ? (long)i.Value : i.Value,
        Float f => f.Value,
        List l => l.Items.Select(x => x.ToPlain()).ToArray(),
        Dictionary d => d.Entries.ToDictionary(e => e.Key, e => e.Value.ToPlain(), StringComparer.Ordinal),
        _ => null,
    };

    /// <summary>The value as JSON, for metadata.papermill.parameters.</summary>
    public JsonNode? ToJson() => this switch
    {
        Null => null,
        Text t => JsonValue.Create(t.Value),
        Boolean b => JsonValue.Create(b.Value),
        Integer i => i.Value >= long.MinValue && i.Value <= long.MaxValue ? JsonValue.Create((long)i.Value) : JsonValue.Create((double)i.Value),
        Float f => double.IsFinite(f.Value) ? JsonValue.Create(f.Value) : JsonValue.Create(f.Value.ToString(CultureInfo.InvariantCulture)),
        List l => new JsonArray(l.Items.Select(x => x.ToJson()).ToArray()),
        Dictionary d => new JsonObject(d.Entries.Select(e => new KeyValuePair<string, JsonNode?>(e.Key, e.Value.ToJson()))),
        _ => null,
    };

    private static KernelException Invalid(string path, string problem) =>
        new(ErrorIds.NotebookParameterInvalid, KernelErrorCategory.InvalidArgument, $"Parameter '{path}' {problem}", path);
}
