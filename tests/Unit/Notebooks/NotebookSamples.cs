using System.Diagnostics;
using System.Text.Json.Nodes;

namespace JupyterKernels.Tests.Notebooks;

/// <summary>Notebooks the tests run, written as Jupyter writes them (sources as lists of lines), and Python checks of the results.</summary>
internal static class NotebookSamples
{
    public static JsonObject Code(string source, params string[] tags) => Cell("code", source, tags);
    public static JsonObject Markdown(string source) => Cell("markdown", source);

    private static JsonObject Cell(string type, string source, params string[] tags)
    {
        var lines = new JsonArray();
        foreach (var line in JupyterKernels.Notebooks.NotebookJson.SplitLines(source)) lines.Add(line);
        var cell = new JsonObject
        {
            ["cell_type"] = type,
            ["id"] = Guid.NewGuid().ToString("N")[..8],
            ["metadata"] = tags.Length == 0 ? new JsonObject() : new JsonObject { ["tags"] = new JsonArray(tags.Select(t => (JsonNode)t).ToArray()) },
            ["source"] = lines,
        };
        if (type == "code")
        {
            cell["execution_count"] = null;
            cell["outputs"] = new JsonArray();
        }
        return cell;
    }

    public static string Notebook(params JsonObject[] cells) => Notebook("python3", cells);

    public static string Notebook(string kernel, params JsonObject[] cells) => new JsonObject
    {
        ["cells"] = new JsonArray(cells.Select(c => (JsonNode)c).ToArray()),
        ["metadata"] = new JsonObject
        {
            ["kernelspec"] = new JsonObject { ["display_name"] = "Python 3", ["language"] = "python", ["name"] = kernel },
            ["language_info"] = new JsonObject { ["name"] = "python" },
            ["x_custom"] = new JsonObject { ["kept"] = true },
        },
        ["nbformat"] = 4,
        ["nbformat_minor"] = 5,
    }.ToJsonString();

    public const string ParametersCell = "alpha = 0.1  # the rate\nname = 'world'\nitems = [1, 2]\n";

    /// <summary>A PNG built by hand (zlib + struct), so no plotting library is needed.</summary>
    public const string RichCell =
        "from IPython.display import HTML, JSON, Image, display\n" +
        "import struct, zlib\n" +
        "def png(w, h):\n" +
        "    raw = b''.join(b'\\x00' + b'\\xff\\x00\\x00' * w for _ in range(h))\n" +
        "    def chunk(t, d):\n" +
        "        return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)\n" +
        "    return b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b'')\n" +
        "display(HTML('<b>bold</b>'))\n" +
        "display(Image(png(4, 3)))\n" +
        "display(JSON({'a': 1, 'b': [1, 2]}))\n";

    /// <summary>The notebook of the issue: parameters, streams, rich outputs, a display updated by id, a result, an error, a cell after it.</summary>
    public static string Rich(bool withError = true)
    {
        var cells = new List<JsonObject>
        {
            Markdown("# Report\nWith *parameters*."),
            Code(ParametersCell, "parameters"),
            Code("import sys\nprint('hello', name, alpha, items)\nprint('more', flush=True)\nprint('err', file=sys.stderr)"),
            Code(RichCell),
            Code("h = display('before', display_id=True)\nh.update('after')\n6 * 7"),
        };
        if (withError) cells.Add(Code("1 / 0"));
        cells.Add(Code("print('after the error')"));
        return Notebook(cells.ToArray());
    }

    /// <summary>Runs Python (Debian's, with nbformat and nbclient) on a script; returns stdout, fails the test on a non-zero exit.</summary>
    public static string Python(string script, params string[] args)
    {
        var psi = new ProcessStartInfo(JupyterKernels.Tests.Support.RealPython.Path) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000)) { p.Kill(true); throw new TimeoutException("python did not finish"); }
        Assert.True(p.ExitCode == 0, $"python failed ({p.ExitCode}):\n{stderr.Result}\n{stdout.Result}");
        return stdout.Result;
    }

    /// <summary>nbformat.validate on the file as nbformat reads it; throws (fails the test) when invalid.</summary>
    public static void AssertValid(string path) =>
        Python("import nbformat, sys; nb = nbformat.read(sys.argv[1], as_version=4); nbformat.validate(nb); print('ok')", path);
}
