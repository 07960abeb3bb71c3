using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.RegularExpressions;

namespace JupyterKernels.Notebooks;

/// <summary>
/// Renders parameters as code of a kernel's language and reads a parameters cell back, after papermill's translators
/// (papermill/translators.py): the injected cell is "&lt;comment&gt; Parameters" then one assignment per line.
/// </summary>
internal abstract class ParameterTranslator
{
    /// <summary>The translator for a kernel language (kernelspec language / language_info.name), or null if none.</summary>
    public static ParameterTranslator? ForLanguage(string? language) => language?.Trim().ToLowerInvariant() switch
    {
        "python" or "python3" or "ipython" => Python,
        "r" => R,
        "powershell" or "pwsh" or "pscore" => PowerShell,
        "c#" or "csharp" or ".net-csharp" or "c#-script" => CSharp,
        "f#" or "fsharp" or ".net-fsharp" => FSharp,
        _ => null,
    };

    public static readonly ParameterTranslator Python = new PythonTranslator();
    public static readonly ParameterTranslator R = new RTranslator();
    public static readonly ParameterTranslator PowerShell = new PowerShellTranslator();
    public static readonly ParameterTranslator CSharp = new CSharpTranslator();
    public static readonly ParameterTranslator FSharp = new FSharpTranslator();

    /// <summary>The languages with a translator, for messages.</summary>
    public const string SupportedLanguages = "Python, R, PowerShell, C#, F#";

    public abstract string Language { get; }

    /// <summary>The code of the injected-parameters cell (trailing newline, as papermill writes it).</summary>
    /// <exception cref="KernelException">NotebookParameterInvalid: a name that is not an identifier, a value with no literal.</exception>
    public string Codify(IReadOnlyList<KeyValuePair<string, ParameterValue>> parameters)
    {
        var sb = new StringBuilder();
        sb.Append(Comment("Parameters")).Append('\n');
        foreach (var (name, value) in parameters)
        {
            if (!IsIdentifier(name))
                throw new KernelException(ErrorIds.NotebookParameterInvalid, KernelErrorCategory.InvalidArgument,
                    $"Parameter name '{name}' is not an identifier in {Language}.", name);
            sb.Append(Assign(name, value)).Append('\n');
        }
        return sb.ToString();
    }

    public abstract bool IsIdentifier(string name);

    public abstract string Comment(string text);

    protected virtual string Assign(string name, ParameterValue value) => $"{name} = {Translate(value, name)}";

    /// <summary>A literal of the language for <paramref name="value"/>; <paramref name="path"/> names it in errors.</summary>
    public string Translate(ParameterValue value, string path) => value switch
    {
        ParameterValue.Null => TranslateNull(path),
        ParameterValue.Text t => TranslateString(t.Value),
        ParameterValue.Boolean b => TranslateBool(b.Value),
        ParameterValue.Integer i => TranslateInteger(i.Value),
        ParameterValue.Float f => TranslateFloat(f.Value),
        ParameterValue.List l => TranslateList(l.Items.Select((x, n) => Translate(x, $"{path}[{n}]")).ToList(), l),
        ParameterValue.Dictionary d => TranslateDictionary(d.Entries.Select(e => (TranslateString(e.Key), Translate(e.Value, $"{path}.{e.Key}"))).ToList()),
        _ => throw new ArgumentOutOfRangeException(nameof(value)),
    };

    protected abstract string TranslateNull(string path);
    protected abstract string TranslateString(string value);
    protected abstract string TranslateBool(bool value);
    protected virtual string TranslateInteger(BigInteger value) => value.ToString(CultureInfo.InvariantCulture);
    protected abstract string TranslateFloat(double value);

    /// <summary>How the language brackets and separates the items of a list literal.</summary>
    protected abstract LiteralSyntax ListSyntax { get; }

    /// <summary>How the language brackets and separates the entries of a dictionary literal.</summary>
    protected abstract LiteralSyntax DictionarySyntax { get; }

    /// <summary>One dictionary entry, key and value already literals.</summary>
    protected abstract string DictionaryEntry(string key, string value);

    protected virtual string TranslateList(IReadOnlyList<string> items, ParameterValue.List source) => ListSyntax.Write(items);

    private string TranslateDictionary(IReadOnlyList<(string Key, string Value)> entries) =>
        DictionarySyntax.Write(entries.Select(e => DictionaryEntry(e.Key, e.Value)));

    /// <summary>A collection literal's shape: opening text, separator between items, closing text.</summary>
    protected sealed record LiteralSyntax(string Open, string Separator, string Close)
    {
        public string Write(IEnumerable<string> items) => Open + string.Join(Separator, items) + Close;
    }

    // ------------------------------------------------------------------ reading a parameters cell

    /// <summary>The assignments of a parameters cell: name, declared or inferred type, default expression, help comment.</summary>
    public IReadOnlyList<NotebookParameter> Inspect(string source)
    {
        var result = new List<NotebookParameter>();
        foreach (var statement in Statements(source))
        {
            var m = AssignmentPattern.Match(statement);
            if (!m.Success) continue;
            var name = m.Groups["name"].Value;
            var value = m.Groups["value"].Value.Trim();
            var help = m.Groups["help"].Success ? m.Groups["help"].Value.Trim() : "";
            var declared = m.Groups["type"].Success ? m.Groups["type"].Value.Trim() : "";
            if (declared == "var") declared = ""; // C#: the type is the literal's
            if (value.Length == 0) continue;
            result.Add(new NotebookParameter
            {
                Name = name,
                Type = declared.Length > 0 ? declared : InferType(value),
                Default = value,
                Help = help,
                Language = Language,
            });
        }
        return result;
    }

    /// <summary>One assignment per match: groups name, value, and optionally type and help.</summary>
    protected abstract Regex AssignmentPattern { get; }

    protected abstract string InferType(string literal);

    /// <summary>
    /// Lines joined while brackets are open, so a default spread over several lines (a list, a dict) is one
    /// statement. Brackets inside string literals are not counted.
    /// </summary>
    private static IEnumerable<string> Statements(string source)
    {
        var current = new StringBuilder();
        int depth = 0;
        foreach (var raw in source.Replace("\r\n", "\n").Split('\n'))
        {
            if (current.Length > 0) current.Append(' ');
            current.Append(depth > 0 ? raw.Trim() : raw);
            char quote = '\0';
            for (int i = 0; i < raw.Length; i++)
            {
                var c = raw[i];
                if (quote != '\0')
                {
                    if (c == '\\') i++;
                    else if (c == quote) quote = '\0';
                    continue;
                }
                if (c is '"' or '\'') quote = c;
                else if (c == '#' ) break;
                else if (c is '[' or '(' or '{') depth++;
                else if (c is ']' or ')' or '}') depth = Math.Max(0, depth - 1);
            }
            if (depth == 0)
            {
                yield return current.ToString();
                current.Clear();
            }
        }
        if (current.Length > 0) yield return current.ToString();
    }

    /// <summary>The shape of a literal: string, integer, float, bool, null, list, dict, else unknown ("").</summary>
    protected static LiteralKind Classify(string literal, string trueWord, string falseWord, string nullWord, StringComparison comparison = StringComparison.Ordinal)
    {
        var v = literal.Trim().TrimEnd(';').Trim();
        if (v.Length == 0) return LiteralKind.Unknown;
        if (v[0] is '"' or '\'' || v.StartsWith("@\"", StringComparison.Ordinal) || v.StartsWith("@'", StringComparison.Ordinal)) return LiteralKind.String;
        if (string.Equals(v, trueWord, comparison) || string.Equals(v, falseWord, comparison)) return LiteralKind.Boolean;
        if (string.Equals(v, nullWord, comparison)) return LiteralKind.Null;
        if (Regex.IsMatch(v, @"^[-+]?\d[\d_]*L?$")) return LiteralKind.Integer;
        if (Regex.IsMatch(v, @"^[-+]?(\d[\d_]*\.?\d*([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?)[dDfFmM]?$")) return LiteralKind.Float;
        if (v[0] == '[' || v.StartsWith("@(", StringComparison.Ordinal) || v.StartsWith("c(", StringComparison.Ordinal) || v.StartsWith("new [", StringComparison.Ordinal) || v.StartsWith("new[", StringComparison.Ordinal)) return LiteralKind.List;
        if (v[0] == '{' || v.StartsWith("@{", StringComparison.Ordinal) || v.StartsWith("new Dictionary", StringComparison.Ordinal) || v.StartsWith("dict(", StringComparison.Ordinal)) return LiteralKind.Dictionary;
        if (v.StartsWith("list(", StringComparison.Ordinal)) return LiteralKind.List;
        return LiteralKind.Unknown;
    }

    protected enum LiteralKind { Unknown, String, Integer, Float, Boolean, Null, List, Dictionary }

    // ------------------------------------------------------------------ shared helpers

    /// <summary>Python's str.encode('unicode_escape') (then '"' escaped), as papermill renders strings.</summary>
    protected static string UnicodeEscape(string value, bool braceUnicode = false)
    {
        var sb = new StringBuilder(value.Length + 2);
        for (int i = 0; i < value.Length; i++)
        {
            int cp = value[i];
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                cp = char.ConvertToUtf32(value[i], value[++i]);
            switch (cp)
            {
                case '\\': sb.Append("\\\\"); break;
                case '"': sb.Append("\\\""); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (cp >= 0x20 && cp < 0x7f) sb.Append((char)cp);
                    else if (braceUnicode) sb.Append("\\u{").Append(cp.ToString("x", CultureInfo.InvariantCulture)).Append('}');
                    else if (cp < 0x100) sb.Append("\\x").Append(cp.ToString("x2", CultureInfo.InvariantCulture));
                    else if (cp < 0x10000) sb.Append("\\u").Append(cp.ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append("\\U").Append(cp.ToString("x8", CultureInfo.InvariantCulture));
                    break;
            }
        }
        return sb.ToString();
    }

    protected static bool IsAsciiIdentifier(string name, bool allowDot = false)
    {
        if (string.IsNullOrEmpty(name)) return false;
        if (!(char.IsLetter(name[0]) || name[0] == '_' || (allowDot && name[0] == '.'))) return false;
        foreach (var c in name) if (!(char.IsLetterOrDigit(c) || c == '_' || (allowDot && c == '.'))) return false;
        return true;
    }

    protected static string FloatRepr(double value) => NotebookJson.PythonFloat(value);
}
