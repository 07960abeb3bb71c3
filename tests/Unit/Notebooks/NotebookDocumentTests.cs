using System.Text.Json.Nodes;
using JupyterKernels.Notebooks;
using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.Notebooks;

/// <summary>Reading notebooks tolerantly and writing them exactly as nbformat does (checked against Debian's nbformat).</summary>
[Trait("Category", "Integration")] // runs Debian's python3 (nbformat) as a check
public sealed class NotebookDocumentTests : IDisposable
{
    private readonly TempDirectory _dir = new("jk-nbdoc");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_notebook_nbformat_wrote_is_written_back_byte_for_byte()
    {
        var path = _dir.Combine("nbformat.ipynb");
        NotebookSamples.Python(
            "import nbformat, sys\n" +
            "from nbformat.v4 import new_notebook, new_code_cell, new_markdown_cell, new_output\n" +
            "nb = new_notebook(metadata={'kernelspec': {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}, 'zz': {'é': [1, 2.5, None, True]}})\n" +
            "c = new_code_cell('x = 1\\nprint(\"é\\\\t\\\\u0001\")\\n', execution_count=3)\n" +
            "c.outputs = [new_output('stream', name='stdout', text='a\\nb\\n'), new_output('execute_result', data={'text/plain': '1\\n2', 'application/json': {'k': [1, {}]}}, execution_count=3)]\n" +
            "nb.cells = [new_markdown_cell('# T\\n\\nline'), c, new_code_cell('')]\n" +
            "nbformat.write(nb, sys.argv[1])\n", path);
        var original = File.ReadAllText(path);
        var doc = NotebookDocument.Load(path);
        Assert.Equal(original, doc.ToJson());
    }

    [Fact]
    public void Reading_joins_lines_fills_in_ids_and_metadata_and_keeps_unknown_fields()
    {
        var json = """
        {"nbformat": 4, "nbformat_minor": 5, "metadata": {"custom": {"x": [1, 2]}},
         "cells": [
           {"cell_type": "code", "source": ["a = 1\n", "b = 2"], "outputs": [{"output_type": "stream", "name": "stdout", "text": ["x\n", "y"]}], "execution_count": 1, "metadata": {"extra": "kept"}},
           {"cell_type": "markdown", "source": "text"},
           {"cell_type": "code", "id": "same", "metadata": {}, "source": "", "outputs": []},
           {"cell_type": "code", "id": "same", "metadata": {}, "source": "", "outputs": []}
         ]}
        """;
        var doc = NotebookDocument.Parse(json, "t.ipynb");
        Assert.Equal("a = 1\nb = 2", NotebookDocument.CellSource(doc.Cell(0)));
        var ids = Enumerable.Range(0, 4).Select(i => doc.Cell(i)["id"]!.GetValue<string>()).ToList();
        Assert.Equal(4, ids.Distinct().Count());
        Assert.Equal("same", ids[2]);
        var path = _dir.Combine("t.ipynb");
        doc.SaveAtomically(path);
        NotebookSamples.AssertValid(path);
        var back = JsonNode.Parse(File.ReadAllText(path))!;
        Assert.Equal("kept", back["cells"]![0]!["metadata"]!["extra"]!.GetValue<string>());
        Assert.Equal(2, back["metadata"]!["custom"]!["x"]!.AsArray().Count);
        Assert.Equal(2, back["cells"]![0]!["outputs"]![0]!["text"]!.AsArray().Count);
        Assert.Empty(Directory.GetFiles(_dir.Path, "*.tmp"));
    }

    [Fact]
    public void Writing_again_reserializes_only_changed_cells_and_matches_the_whole_notebooks_text()
    {
        var doc = NotebookDocument.Parse(NotebookSamples.Rich(), "rich.ipynb");
        var writer = new NotebookWriter();
        Assert.Equal(doc.ToJson(), writer.Serialize(doc.Root));
        var cell = doc.Cell(2);
        ((JsonArray)cell["outputs"]!).Add(new JsonObject { ["output_type"] = "stream", ["name"] = "stdout", ["text"] = "a\nb\n" });
        Assert.NotEqual(doc.ToJson(), writer.Serialize(doc.Root)); // the cell's kept text is stale until it is marked
        writer.CellChanged(cell);
        Assert.Equal(doc.ToJson(), writer.Serialize(doc.Root));
        doc.Cells.Insert(0, new JsonObject { ["cell_type"] = "markdown", ["id"] = "new1", ["metadata"] = new JsonObject(), ["source"] = "x" });
        doc.Metadata["papermill"] = new JsonObject { ["status"] = "done" };
        Assert.Equal(doc.ToJson(), writer.Serialize(doc.Root)); // new cells and root metadata need no marking

        var path = _dir.Combine("written.ipynb");
        foreach (var durable in new[] { true, false })
        {
            NotebookWriter.WriteAtomically(path, writer.Serialize(doc.Root), durable);
            Assert.Equal(doc.ToJson(), File.ReadAllText(path));
        }
        Assert.Empty(Directory.GetFiles(_dir.Path, "*.tmp"));
    }

    [Theory]
    [InlineData("{not json", "not valid JSON")]
    [InlineData("[1, 2]", "not a notebook")]
    [InlineData("{\"cells\": []}", "no 'nbformat'")]
    [InlineData("{\"nbformat\": 3, \"nbformat_minor\": 0, \"worksheets\": [], \"metadata\": {}}", "nbformat 3")]
    [InlineData("{\"worksheets\": []}", "nbformat 3 or older")]
    [InlineData("{\"nbformat\": 4, \"nbformat_minor\": 4, \"metadata\": {}}", "no 'cells'")]
    [InlineData("{\"nbformat\": 4, \"nbformat_minor\": 4, \"metadata\": {}, \"cells\": [{\"cell_type\": \"bogus\", \"source\": \"\"}]}", "cell_type 'bogus'")]
    public void Bad_notebooks_are_NotebookInvalid_naming_the_problem(string json, string expected)
    {
        var e = Assert.Throws<KernelException>(() => NotebookDocument.Parse(json, "bad.ipynb"));
        Assert.Equal(ErrorIds.NotebookInvalid, e.ErrorId);
        Assert.Contains(expected, e.Message);
        Assert.Contains("bad.ipynb", e.Message);
    }

    [Fact]
    public void Older_minor_versions_get_no_cell_ids()
    {
        var doc = NotebookDocument.Parse("{\"nbformat\": 4, \"nbformat_minor\": 2, \"metadata\": {}, \"cells\": [{\"cell_type\": \"code\", \"source\": \"1\", \"metadata\": {}, \"outputs\": [], \"execution_count\": null}]}", "old.ipynb");
        Assert.False(doc.HasCellIds);
        ParameterInjection.Inject(doc, "# Parameters\nx = 1\n");
        var path = _dir.Combine("old.ipynb");
        doc.SaveAtomically(path);
        Assert.DoesNotContain("\"id\"", File.ReadAllText(path));
        NotebookSamples.AssertValid(path);
    }

    [Theory]
    [InlineData("a\rb", "b")]
    [InlineData("10%\r20%\r30%\n", "30%\n")]
    [InlineData("line\r\nnext", "line\nnext")]
    [InlineData("abc\b\bX", "aX")]
    [InlineData("progress\r", "progress\r")]
    public void Stream_text_shows_what_a_terminal_shows(string text, string expected) =>
        Assert.Equal(expected, CellOutputCollector.ApplyControlCharacters(text));
}
