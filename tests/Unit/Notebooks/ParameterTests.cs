using System.Collections;
using System.Collections.Specialized;
using JupyterKernels.Notebooks;

namespace JupyterKernels.Tests.Notebooks;

/// <summary>Parameters as papermill renders them, per language, and the parameters cell read back.</summary>
[Trait("Category", "Integration")] // runs Debian's python3 (nbformat) as a check
public sealed class ParameterTests
{
    private static IReadOnlyList<KeyValuePair<string, ParameterValue>> Values()
    {
        var ordered = new OrderedDictionary { ["b"] = 2, ["a"] = "x" };
        return new List<KeyValuePair<string, ParameterValue>>
        {
            new("alpha", ParameterValue.From(0.5, "alpha")),
            new("name", ParameterValue.From("it's \"q\" \\ é\n$x", "name")),
            new("flag", ParameterValue.From(true, "flag")),
            new("nothing", ParameterValue.From(null, "nothing")),
            new("items", ParameterValue.From(new object[] { 1, 2 }, "items")),
            new("map", ParameterValue.From(ordered, "map")),
            new("day", ParameterValue.From(new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero), "day")),
            new("big", ParameterValue.From(10_000_000_000L, "big")),
        };
    }

    [Fact]
    public void Python_literals_match_papermill()
    {
        Assert.Equal(
            "# Parameters\n" +
            "alpha = 0.5\n" +
            "name = \"it's \\\"q\\\" \\\\ \\xe9\\n$x\"\n" +
            "flag = True\n" +
            "nothing = None\n" +
            "items = [1, 2]\n" +
            "map = {\"b\": 2, \"a\": \"x\"}\n" +
            "day = \"2024-01-02T03:04:05.0000000+00:00\"\n" +
            "big = 10000000000\n",
            ParameterTranslator.Python.Codify(Values()));
    }

    [Fact]
    public void Python_literals_evaluate_to_the_values()
    {
        var code = ParameterTranslator.Python.Codify(Values());
        var output = NotebookSamples.Python(code + "import json\nprint(json.dumps([alpha, name, flag, nothing, items, map, day, big]))");
        Assert.Equal("[0.5, \"it's \\\"q\\\" \\\\ \\u00e9\\n$x\", true, null, [1, 2], {\"b\": 2, \"a\": \"x\"}, \"2024-01-02T03:04:05.0000000+00:00\", 10000000000]\n", output);
    }

    [Fact]
    public void R_PowerShell_CSharp_and_FSharp_literals()
    {
        var v = Values();
        Assert.Equal(
            "# Parameters\nalpha = 0.5\nname = \"it's \\\"q\\\" \\\\ \\u{e9}\\n$x\"\nflag = TRUE\nnothing = NULL\nitems = list(1, 2)\nmap = list(\"b\" = 2, \"a\" = \"x\")\n" +
            "day = \"2024-01-02T03:04:05.0000000+00:00\"\nbig = 10000000000\n",
            ParameterTranslator.R.Codify(v));
        Assert.Equal(
            "# Parameters\n$alpha = 0.5\n$name = 'it''s \"q\" \\ é\n$x'\n$flag = $true\n$nothing = $null\n$items = @(1, 2)\n$map = [ordered]@{'b' = 2; 'a' = 'x'}\n" +
            "$day = '2024-01-02T03:04:05.0000000+00:00'\n$big = 10000000000\n",
            ParameterTranslator.PowerShell.Codify(v));
        Assert.Equal(
            "// Parameters\nvar alpha = 0.5d;\nvar name = \"it's \\\"q\\\" \\\\ é\\n$x\";\nvar flag = true;\nobject nothing = null;\nvar items = new [] { 1, 2 };\n" +
            "var map = new Dictionary<string,Object>{ { \"b\" , 2 }, { \"a\" , \"x\" } };\nvar day = \"2024-01-02T03:04:05.0000000+00:00\";\nvar big = 10000000000L;\n",
            ParameterTranslator.CSharp.Codify(v));
        Assert.Equal(
            "(* Parameters *)\nlet alpha = 0.5\nlet name = \"it's \\\"q\\\" \\\\ é\\n$x\"\nlet flag = true\nlet nothing = None\nlet items = [ 1; 2 ]\n" +
            "let map = [ (\"b\", 2 :> IComparable); (\"a\", \"x\" :> IComparable) ] |> Map.ofList\nlet day = \"2024-01-02T03:04:05.0000000+00:00\"\nlet big = 10000000000L\n",
            ParameterTranslator.FSharp.Codify(v));
    }

    [Theory]
    [InlineData("python", "1abc")]
    [InlineData("python", "class")]
    [InlineData("python", "a-b")]
    [InlineData("R", "_x")]
    [InlineData("R", "if")]
    [InlineData("powershell", "a b")]
    [InlineData("C#", "class")]
    [InlineData("F#", "let")]
    public void Names_that_are_not_identifiers_are_NotebookParameterInvalid(string language, string name)
    {
        var translator = ParameterTranslator.ForLanguage(language)!;
        var e = Assert.Throws<KernelException>(() => translator.Codify(new[] { new KeyValuePair<string, ParameterValue>(name, new ParameterValue.Integer(1)) }));
        Assert.Equal(ErrorIds.NotebookParameterInvalid, e.ErrorId);
        Assert.Contains(name, e.Message);
    }

    [Fact]
    public void Values_with_no_literal_are_NotebookParameterInvalid_naming_the_path()
    {
        var e = Assert.Throws<KernelException>(() => ParameterValue.From(new Hashtable { ["inner"] = new object[] { 1, Guid.NewGuid() } }, "cfg"));
        Assert.Equal(ErrorIds.NotebookParameterInvalid, e.ErrorId);
        Assert.Contains("cfg.inner[1]", e.Message);
        Assert.Contains("System.Guid", e.Message);
    }

    [Fact]
    public void A_python_parameters_cell_is_read_with_types_defaults_and_help()
    {
        var source = "# defaults\nalpha: float = 0.1  # the rate\nname = 'world'\nitems = [\n    1,\n    2,\n]\nflag = True\nnothing = None\ncount = 3\nexpr = compute()  # computed\n";
        var ps = ParameterTranslator.Python.Inspect(source);
        Assert.Equal(new[] { "alpha", "name", "items", "flag", "nothing", "count", "expr" }, ps.Select(p => p.Name));
        Assert.Equal(new[] { "float", "str", "list", "bool", "None", "int", "" }, ps.Select(p => p.Type));
        Assert.Equal("0.1", ps[0].Default);
        Assert.Equal("the rate", ps[0].Help);
        Assert.Equal("[ 1, 2, ]", ps[2].Default);
        Assert.Equal("computed", ps[6].Help);
    }

    [Fact]
    public void Other_languages_parameters_cells_are_read()
    {
        Assert.Equal(new[] { ("x", "numeric", "1.5"), ("s", "character", "\"a\"") },
            ParameterTranslator.R.Inspect("x <- 1.5\ns = \"a\" # help").Select(p => (p.Name, p.Type, p.Default)));
        Assert.Equal(new[] { ("n", "int", "3"), ("s", "string", "'a'"), ("d", "datetime", "'2024-01-01'") },
            ParameterTranslator.PowerShell.Inspect("$n = 3\n$s = 'a'  # text\n[datetime]$d = '2024-01-01'").Select(p => (p.Name, p.Type, p.Default)));
        Assert.Equal(new[] { ("n", "int", "3"), ("s", "string", "\"a\"") },
            ParameterTranslator.CSharp.Inspect("var n = 3;\nstring s = \"a\"; // help").Select(p => (p.Name, p.Type, p.Default)));
    }

    [Fact]
    public void Injection_goes_after_the_parameters_cell_and_replaces_an_earlier_one()
    {
        var doc = NotebookDocument.Parse(NotebookSamples.Notebook(
            NotebookSamples.Markdown("t"), NotebookSamples.Code("a = 1", "parameters"), NotebookSamples.Code("old", "injected-parameters"), NotebookSamples.Code("print(a)")), "n.ipynb");
        var index = ParameterInjection.Inject(doc, "# Parameters\na = 2\n");
        Assert.Equal(2, index);
        Assert.Equal(4, doc.CellCount);
        Assert.Equal("# Parameters\na = 2\n", NotebookDocument.CellSource(doc.Cell(2)));
        Assert.Equal(new[] { "injected-parameters" }, NotebookDocument.CellTags(doc.Cell(2)));
        Assert.Matches("^[0-9a-f]{8}$", doc.Cell(2)["id"]!.GetValue<string>());

        var none = NotebookDocument.Parse(NotebookSamples.Notebook(NotebookSamples.Code("print(1)")), "m.ipynb");
        Assert.Equal(0, ParameterInjection.Inject(none, "# Parameters\na = 2\n"));
    }
}
