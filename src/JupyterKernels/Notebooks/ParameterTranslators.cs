using System.Globalization;
using System.Numerics;
using System.Text.RegularExpressions;

namespace JupyterKernels.Notebooks;

// The five languages, each as papermill renders it (papermill/translators.py), with the fixes noted where papermill's
// output would not run. The assignment patterns are source-generated: a compiled Regex costs milliseconds to build at
// first use, and all five are built on the first parameter read or written in a process.

internal sealed partial class PythonTranslator : ParameterTranslator
{
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif", "else",
        "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise",
        "return", "try", "while", "with", "yield",
    };

    public override string Language => "Python";
    public override bool IsIdentifier(string name) => IsAsciiIdentifier(name) && !Keywords.Contains(name);
    public override string Comment(string text) => $"# {text}".Trim();
    protected override string TranslateNull(string path) => "None";
    protected override string TranslateString(string value) => $"\"{UnicodeEscape(value)}\"";
    protected override string TranslateBool(bool value) => value ? "True" : "False";
    protected override string TranslateFloat(double value) =>
        double.IsNaN(value) ? "float('nan')" : double.IsInfinity(value) ? (value < 0 ? "float('-inf')" : "float('inf')") : FloatRepr(value);
    protected override LiteralSyntax ListSyntax { get; } = new("[", ", ", "]");
    protected override LiteralSyntax DictionarySyntax { get; } = new("{", ", ", "}");
    protected override string DictionaryEntry(string key, string value) => $"{key}: {value}";

    // papermill's inspect: name[: annotation] = value  [# help]
    protected override Regex AssignmentPattern => PythonAssignment();

    [GeneratedRegex(@"^(?<name>[A-Za-z_]\w*)\s*(:\s*[""']?(?<type>[\w.\[\], ]+?)[""']?\s*)?=\s*(?<value>.*?)(\s*#\s*(?<help>.*))?$")]
    private static partial Regex PythonAssignment();

    protected override string InferType(string literal) => Classify(literal, "True", "False", "None") switch
    {
        LiteralKind.String => "str",
        LiteralKind.Integer => "int",
        LiteralKind.Float => "float",
        LiteralKind.Boolean => "bool",
        LiteralKind.Null => "None",
        LiteralKind.List => "list",
        LiteralKind.Dictionary => "dict",
        _ => "",
    };
}

internal sealed partial class RTranslator : ParameterTranslator
{
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal)
    {
        "if", "else", "repeat", "while", "function", "for", "next", "break", "TRUE", "FALSE", "NULL", "Inf", "NaN", "NA", "NA_integer_",
        "NA_real_", "NA_character_", "in",
    };

    public override string Language => "R";
    // papermill drops leading underscores from R names; we refuse them instead, so the name the notebook sees is the one given.
    public override bool IsIdentifier(string name) =>
        IsAsciiIdentifier(name, allowDot: true) && name[0] != '_' && !(name.Length > 1 && name[0] == '.' && char.IsDigit(name[1])) && !Reserved.Contains(name);
    public override string Comment(string text) => $"# {text}".Trim();
    protected override string TranslateNull(string path) => "NULL";
    // R has \x, \u and \U escapes, but \x80-\xff would be a byte, not a character: \u{...} is a character everywhere.
    protected override string TranslateString(string value) => $"\"{UnicodeEscape(value, braceUnicode: true)}\"";
    protected override string TranslateBool(bool value) => value ? "TRUE" : "FALSE";
    protected override string TranslateFloat(double value) =>
        double.IsNaN(value) ? "NaN" : double.IsInfinity(value) ? (value < 0 ? "-Inf" : "Inf") : FloatRepr(value);
    protected override LiteralSyntax ListSyntax { get; } = new("list(", ", ", ")");
    protected override LiteralSyntax DictionarySyntax { get; } = new("list(", ", ", ")");
    protected override string DictionaryEntry(string key, string value) => $"{key} = {value}";

    protected override Regex AssignmentPattern => RAssignment();

    [GeneratedRegex(@"^(?<name>[A-Za-z.][\w.]*)\s*(<-|=)\s*(?<value>.*?)(\s*#\s*(?<help>.*))?$")]
    private static partial Regex RAssignment();

    protected override string InferType(string literal) => Classify(literal, "TRUE", "FALSE", "NULL") switch
    {
        LiteralKind.String => "character",
        LiteralKind.Integer => literal.Trim().EndsWith('L') ? "integer" : "numeric",
        LiteralKind.Float => "numeric",
        LiteralKind.Boolean => "logical",
        LiteralKind.Null => "NULL",
        LiteralKind.List => literal.TrimStart().StartsWith("c(", StringComparison.Ordinal) ? "vector" : "list",
        _ => "",
    };
}

internal sealed partial class PowerShellTranslator : ParameterTranslator
{
    public override string Language => "PowerShell";
    public override bool IsIdentifier(string name) => IsAsciiIdentifier(name);
    public override string Comment(string text) => $"# {text}".Trim();
    protected override string Assign(string name, ParameterValue value) => $"${name} = {Translate(value, name)}";
    protected override string TranslateNull(string path) => "$null";
    // papermill writes "..." with Python escapes, which PowerShell would expand ($) and not unescape (\n); a
    // single-quoted string is a verbatim literal in which only ' needs doubling.
    protected override string TranslateString(string value) => "'" + value.Replace("'", "''") + "'";
    protected override string TranslateBool(bool value) => value ? "$true" : "$false";
    protected override string TranslateInteger(BigInteger value) =>
        value >= long.MinValue && value <= long.MaxValue ? value.ToString(CultureInfo.InvariantCulture) : $"[bigint]'{value.ToString(CultureInfo.InvariantCulture)}'";
    protected override string TranslateFloat(double value) =>
        double.IsNaN(value) ? "[double]::NaN" : double.IsInfinity(value) ? (value < 0 ? "[double]::NegativeInfinity" : "[double]::PositiveInfinity") : FloatRepr(value);
    protected override LiteralSyntax ListSyntax { get; } = new("@(", ", ", ")");
    protected override LiteralSyntax DictionarySyntax { get; } = new("[ordered]@{", "; ", "}");
    protected override string DictionaryEntry(string key, string value) => $"{key} = {value}";

    protected override Regex AssignmentPattern => PowerShellAssignment();

    [GeneratedRegex(@"^(\[(?<type>[\w.\[\]]+)\]\s*)?\$(?<name>[A-Za-z_]\w*)\s*=\s*(?<value>.*?)(\s*#\s*(?<help>.*))?$")]
    private static partial Regex PowerShellAssignment();

    protected override string InferType(string literal) => Classify(literal, "$true", "$false", "$null", StringComparison.OrdinalIgnoreCase) switch
    {
        LiteralKind.String => "string",
        LiteralKind.Integer => "int",
        LiteralKind.Float => "double",
        LiteralKind.Boolean => "bool",
        LiteralKind.Null => "null",
        LiteralKind.List => "array",
        LiteralKind.Dictionary => "hashtable",
        _ => "",
    };
}

internal sealed partial class CSharpTranslator : ParameterTranslator
{
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const", "continue", "decimal",
        "default", "delegate", "do", "double", "else", "enum", "event", "explicit", "extern", "false", "finally", "fixed", "float", "for",
        "foreach", "goto", "if", "implicit", "in", "int", "interface", "internal", "is", "lock", "long", "namespace", "new", "null", "object",
        "operator", "out", "override", "params", "private", "protected", "public", "readonly", "ref", "return", "sbyte", "sealed", "short",
        "sizeof", "stackalloc", "static", "string", "struct", "switch", "this", "throw", "true", "try", "typeof", "uint", "ulong",
        "unchecked", "unsafe", "ushort", "using", "virtual", "void", "volatile", "while",
    };

    public override string Language => "C#";
    public override bool IsIdentifier(string name) => IsAsciiIdentifier(name) && !Keywords.Contains(name);
    public override string Comment(string text) => $"// {text}".Trim();
    // `var x = null;` does not compile (papermill refuses null for C#); an object-typed null does.
    protected override string Assign(string name, ParameterValue value) =>
        value is ParameterValue.Null ? $"object {name} = null;" : $"var {name} = {Translate(value, name)};";
    protected override string TranslateNull(string path) => "null";
    protected override string TranslateString(string value) => $"\"{CEscape(value)}\"";
    protected override string TranslateBool(bool value) => value ? "true" : "false";
    protected override string TranslateInteger(BigInteger value) =>
        value > int.MaxValue || value < int.MinValue ? value.ToString(CultureInfo.InvariantCulture) + "L" : value.ToString(CultureInfo.InvariantCulture);
    protected override string TranslateFloat(double value) =>
        double.IsNaN(value) ? "double.NaN" : double.IsInfinity(value) ? (value < 0 ? "double.NegativeInfinity" : "double.PositiveInfinity") : FloatRepr(value).Replace("e", "E") + "d";
    protected override LiteralSyntax ListSyntax { get; } = new("new [] { ", ", ", " }");
    private static readonly LiteralSyntax ObjectArraySyntax = new("new object[] { ", ", ", " }");
    protected override LiteralSyntax DictionarySyntax { get; } = new("new Dictionary<string,Object>{ ", ", ", " }");
    protected override string DictionaryEntry(string key, string value) => $"{{ {key} , {value} }}";
    // new [] { } needs one element type; mixed or empty lists are object arrays.
    protected override string TranslateList(IReadOnlyList<string> items, ParameterValue.List source) =>
        items.Count > 0 && source.Items.Select(i => i.GetType()).Distinct().Count() == 1 && source.Items[0] is not ParameterValue.Null
            ? ListSyntax.Write(items)
            : ObjectArraySyntax.Write(items);

    protected override Regex AssignmentPattern => CSharpAssignment();

    [GeneratedRegex(@"^((?<type>[\w.<>,\[\]?]+)\s+)?(?<name>[A-Za-z_]\w*)\s*=\s*(?<value>.*?);?\s*(//\s*(?<help>.*))?$")]
    private static partial Regex CSharpAssignment();

    protected override string InferType(string literal) => Classify(literal, "true", "false", "null") switch
    {
        LiteralKind.String => "string",
        LiteralKind.Integer => literal.Trim().TrimEnd(';').EndsWith('L') ? "long" : "int",
        LiteralKind.Float => "double",
        LiteralKind.Boolean => "bool",
        LiteralKind.Null => "object",
        LiteralKind.List => "array",
        LiteralKind.Dictionary => "Dictionary<string,object>",
        _ => "",
    };

    internal static string CEscape(string value)
    {
        var sb = new System.Text.StringBuilder(value.Length);
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '"': sb.Append("\\\""); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\0': sb.Append("\\0"); break;
                default:
                    if (c < 0x20 || c == 0x7f) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.ToString();
    }
}

internal sealed partial class FSharpTranslator : ParameterTranslator
{
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "abstract", "and", "as", "assert", "base", "begin", "class", "default", "delegate", "do", "done", "downcast", "downto", "elif",
        "else", "end", "exception", "extern", "false", "finally", "fixed", "for", "fun", "function", "global", "if", "in", "inherit",
        "inline", "interface", "internal", "lazy", "let", "match", "member", "module", "mutable", "namespace", "new", "not", "null", "of",
        "open", "or", "override", "private", "public", "rec", "return", "select", "sig", "static", "struct", "then", "to", "true", "try",
        "type", "upcast", "use", "val", "void", "when", "while", "with", "yield",
    };

    public override string Language => "F#";
    public override bool IsIdentifier(string name) => IsAsciiIdentifier(name) && !Keywords.Contains(name);
    public override string Comment(string text) => $"(* {text} *)".Trim();
    protected override string Assign(string name, ParameterValue value) => $"let {name} = {Translate(value, name)}";
    protected override string TranslateNull(string path) => "None";
    protected override string TranslateString(string value) => $"\"{CSharpTranslator.CEscape(value)}\"";
    protected override string TranslateBool(bool value) => value ? "true" : "false";
    protected override string TranslateInteger(BigInteger value) =>
        value > int.MaxValue || value < int.MinValue ? value.ToString(CultureInfo.InvariantCulture) + "L" : value.ToString(CultureInfo.InvariantCulture);
    protected override string TranslateFloat(double value) =>
        double.IsNaN(value) ? "nan" : double.IsInfinity(value) ? (value < 0 ? "-infinity" : "infinity") : FloatRepr(value);
    protected override LiteralSyntax ListSyntax { get; } = new("[ ", "; ", " ]");
    protected override LiteralSyntax DictionarySyntax { get; } = new("[ ", "; ", " ] |> Map.ofList");
    protected override string DictionaryEntry(string key, string value) => $"({key}, {value} :> IComparable)";

    protected override Regex AssignmentPattern => FSharpAssignment();

    [GeneratedRegex(@"^let\s+(?<name>[A-Za-z_]\w*)\s*(:\s*(?<type>[\w.<>\[\] ]+?)\s*)?=\s*(?<value>.*?)(\s*//\s*(?<help>.*))?$")]
    private static partial Regex FSharpAssignment();

    protected override string InferType(string literal) => Classify(literal, "true", "false", "None") switch
    {
        LiteralKind.String => "string",
        LiteralKind.Integer => literal.Trim().EndsWith('L') ? "int64" : "int",
        LiteralKind.Float => "float",
        LiteralKind.Boolean => "bool",
        LiteralKind.Null => "option",
        LiteralKind.List => "list",
        _ => "",
    };
}
