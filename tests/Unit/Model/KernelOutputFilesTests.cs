using System.Text;
using System.Text.Json;
using JupyterKernels.Messaging;
using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.Model;

/// <summary>The files an output's bundle becomes: stable names, bytes as the kernel meant them, no overwrite unasked.</summary>
public sealed class KernelOutputFilesTests : IDisposable
{
    private const string Png640x480 = "iVBORw0KGgoAAAANSUhEUgAAAoAAAAHgCAIAAAC6s0uzAAAAEElEQVR4nGNgGAWjYBSMAgAEIAAB5xyWUgAAAABJRU5ErkJggg==";
    private readonly TempDirectory _temp = new("jk-outfiles");
    private readonly string _folder;

    // A folder that does not exist yet: writing creates it.
    public KernelOutputFilesTests() => _folder = _temp.Combine("out");

    public void Dispose() => _temp.Dispose();

    private static Dictionary<string, object?> Bundle(string json) => JsonDocument.Parse(json).RootElement.ToDictionary();

    private static KernelDisplayData Display(string json, int? count = 12, int? index = 0, string? name = "python3") => new()
    {
        KernelId = "3f2a9c1b-5555-4444-8888-000000000000",
        KernelName = name,
        ExecutionCount = count,
        OutputIndex = index,
        ParentMsgId = "abcdef0123456789",
        Data = Bundle(json),
    };

    [Fact]
    public void Names_AreKernelIdExecutionAndIndex_OneExtensionPerMimeType()
    {
        var output = Display($$"""{"text/plain": "<Figure>", "image/png": "{{Png640x480}}", "image/svg+xml": "<svg/>", "text/html": "<b>x</b>", "application/json": {"a": 1}, "text/markdown": "# t", "text/latex": "$x$", "image/jpeg": "/9j/", "application/pdf": "JVBERg=="}""", index: 3);
        var files = KernelOutputFiles.For(output);
        Assert.Equal(
            ["python3-3f2a9c1b-12-3.png", "python3-3f2a9c1b-12-3.svg", "python3-3f2a9c1b-12-3.html", "python3-3f2a9c1b-12-3.json",
             "python3-3f2a9c1b-12-3.md", "python3-3f2a9c1b-12-3.tex", "python3-3f2a9c1b-12-3.jpg", "python3-3f2a9c1b-12-3.pdf"],
            files.Select(f => f.FileName));
        // The same output always gets the same names.
        Assert.Equal(files.Select(f => f.FileName), KernelOutputFiles.For(output).Select(f => f.FileName));
    }

    [Fact]
    public void TextPlain_IsSavedOnlyAlone_OrWhenSelected()
    {
        Assert.Equal(["python3-3f2a9c1b-12-0.txt"], KernelOutputFiles.For(Display("""{"text/plain": "42"}""")).Select(f => f.FileName));
        var both = Display("""{"text/plain": "42", "text/html": "<b>42</b>"}""");
        Assert.Equal(["text/html"], KernelOutputFiles.For(both).Select(f => f.MimeType));
        Assert.Equal(["text/plain", "text/html"], KernelOutputFiles.For(both, select: _ => true).Select(f => f.MimeType));
    }

    [Fact]
    public void NotebookCells_RemoteNames_AndMissingCounts_GiveSafeDistinctNames()
    {
        Assert.Equal("python3-3f2a9c1b-cell4-1", KernelOutputFiles.BaseName(Display("{}", index: 1), cellIndex: 4));
        Assert.Equal("srv_python3-3f2a9c1b-12-0", KernelOutputFiles.BaseName(Display("{}", name: "srv/python3")));
        Assert.Equal("python3-3f2a9c1b-mabcdef01-0", KernelOutputFiles.BaseName(Display("{}", count: null)));
        Assert.Equal("kernel-3f2a9c1b-12-0", KernelOutputFiles.BaseName(Display("{}", name: null)));
        Assert.Equal("a_b_c-3f2a9c1b-12-0", KernelOutputFiles.BaseName(Display("{}", name: "a:b\\c")));
    }

    [Fact]
    public void Content_DecodesBase64Images_IndentsJson_KeepsText()
    {
        var files = KernelOutputFiles.For(Display($$"""{"image/png": "{{Png640x480}}", "application/json": {"a": [1, 2]}, "image/svg+xml": "<svg>é</svg>"}"""));
        Assert.Equal(Convert.FromBase64String(Png640x480), files[0].Content);
        Assert.Equal("{\n  \"a\": [\n    1,\n    2\n  ]\n}", Encoding.UTF8.GetString(files[1].Content).ReplaceLineEndings("\n"));
        Assert.Equal("<svg>é</svg>", Encoding.UTF8.GetString(files[2].Content));
        // Base64 as kernels wrap it (76 columns) decodes too.
        var wrapped = Png640x480[..40] + "\n" + Png640x480[40..];
        Assert.Equal(Convert.FromBase64String(Png640x480), KernelOutputFiles.Content("image/png", wrapped).Content);
    }

    [Fact]
    public void VendorAndUnknownTypes_KeepTheirNames_AndNeverCollide()
    {
        Assert.Equal(".vnd.plotly.v1.json", KernelOutputFiles.Extension("application/vnd.plotly.v1+json", binary: false));
        Assert.Equal(".x-foo.bin", KernelOutputFiles.Extension("application/x-foo", binary: true));
        Assert.Equal(".x-foo.txt", KernelOutputFiles.Extension("application/x-foo", binary: false));
        var files = KernelOutputFiles.For(Display("""{"application/xml": "<a/>", "text/xml": "<b/>"}"""));
        Assert.Equal(["python3-3f2a9c1b-12-0.xml", "python3-3f2a9c1b-12-0.text.xml.txt"], files.Select(f => f.FileName));
    }

    [Fact]
    public void Write_CreatesTheFolder_RefusesToOverwrite_AndReplacesWithOverwrite()
    {
        var file = new KernelOutputFile("text/plain", "a.txt", Encoding.UTF8.GetBytes("one"));
        var path = KernelOutputFiles.Write(_folder, file, overwrite: false);
        Assert.Equal(Path.Combine(_folder, "a.txt"), path);
        var e = Assert.Throws<KernelException>(() => KernelOutputFiles.Write(_folder, file with { Content = Encoding.UTF8.GetBytes("two") }, overwrite: false));
        Assert.Equal(ErrorIds.OutputFileExists, e.ErrorId);
        Assert.Equal("one", File.ReadAllText(path));
        KernelOutputFiles.Write(_folder, file with { Content = Encoding.UTF8.GetBytes("two") }, overwrite: true);
        Assert.Equal("two", File.ReadAllText(path));
        Assert.Equal(["a.txt"], Directory.GetFiles(_folder).Select(Path.GetFileName));
    }

    [Fact]
    public void Write_IntoAFile_IsOutputPathInvalid()
    {
        Directory.CreateDirectory(_folder);
        var notAFolder = Path.Combine(_folder, "file");
        File.WriteAllText(notAFolder, "x");
        var e = Assert.Throws<KernelException>(() => KernelOutputFiles.Write(notAFolder, new KernelOutputFile("text/plain", "a.txt", []), overwrite: false));
        Assert.Equal(ErrorIds.OutputPathInvalid, e.ErrorId);
    }
}
