using JupyterKernels.Connections;
using JupyterKernels.Kernelspecs;

namespace JupyterKernels.Tests.Fuzz;

/// <summary>Inputs the parser fuzzers found that escaped the documented error path (fixed in src; kept here).</summary>
public sealed class ParserRegressionTests
{
    private const string Ports = "\"shell_port\":1,\"iopub_port\":2,\"stdin_port\":3,\"control_port\":4,\"hb_port\":5";

    // Found by FileParserFuzzTests (seed 0x5EED0201, input #83) and (seed 0x5EED0202, input #3): a \uD800-\uDFFF
    // escape without its pair is valid JSON, but reading it as a string threw InvalidOperationException.
    [Theory]
    [InlineData("{" + Ports + ",\"key\":\"abc\\ud800\"}")]
    [InlineData("{" + Ports + ",\"ip\":\"\\udc00\"}")]
    [InlineData("{" + Ports + ",\"tra\\udc00\\ud800nsport\":\"tcp\"}")]
    public void Connection_file_with_an_unpaired_surrogate_escape_is_ConnectionFileInvalid(string json)
    {
        var e = Assert.Throws<KernelException>(() => ConnectionFile.Parse(json, "x.json"));
        Assert.Equal(ErrorIds.ConnectionFileInvalid, e.ErrorId);
        Assert.DoesNotContain("abc", e.Message);
    }

    [Theory]
    [InlineData("{\"argv\":[\"k\"],\"language\":\"p\\ud800ython\"}")]
    [InlineData("{\"argv\":[\"k\\udfff\"]}")]
    [InlineData("{\"argv\":[\"k\"],\"env\":{\"\\ud800\":\"1\"}}")]
    public void Kernelspec_with_an_unpaired_surrogate_escape_is_KernelSpecInvalid(string json)
    {
        var e = Assert.Throws<KernelException>(() => KernelSpecFile.Parse(json, "k/kernel.json"));
        Assert.Equal(ErrorIds.KernelSpecInvalid, e.ErrorId);
    }

    [Fact]
    public void Kernelspec_file_on_disk_with_an_unpaired_surrogate_escape_is_KernelSpecInvalid()
    {
        using var dir = new Support.TempDirectory("jk-regress");
        var path = dir.Combine("kernel.json");
        File.WriteAllText(path, "{\"argv\":[\"python3\"],\"display_name\":\"bad \\udc80 name\"}");
        var e = Assert.Throws<KernelException>(() => KernelSpecFile.Load(path));
        Assert.Equal(ErrorIds.KernelSpecInvalid, e.ErrorId);
    }

    // Found by FileParserFuzzTests (seed 0x5EED0201, input #5): JsonDocument.Parse(string) threw ArgumentException
    // for a lone UTF-16 surrogate in the text itself (only possible for text built in memory, e.g. from the store).
    [Fact]
    public void Text_with_a_lone_surrogate_is_invalid_not_ArgumentException()
    {
        Assert.Equal(ErrorIds.ConnectionFileInvalid, Assert.Throws<KernelException>(() => ConnectionFile.Parse("{\"ip\":\"\ud800\"}")).ErrorId);
        Assert.Equal(ErrorIds.KernelSpecInvalid, Assert.Throws<KernelException>(() => KernelSpecFile.Parse("{\"argv\":[\"\udc00\"]}", "s")).ErrorId);
    }

    // Found by the coverage-guided notebook target (tools/fuzz.sh notebook; inputs tests/Fuzz/corpus/notebook/crash-*):
    // JsonObject builds its key map on first use and threw ArgumentException there for a key that occurs twice, from
    // whatever read the cell first (cell_type, the writer).
    [Theory]
    [InlineData("{\"nbformat\":4,\"nbformat_minor\":5,\"metadata\":{},\"cells\":[{\"cell_type\":\"code\",\"cell_type\":\"code\",\"source\":\"1\"}]}")]
    [InlineData("{\"nbformat\":4,\"nbformat_minor\":5,\"metadata\":{},\"cells\":[{\"cell_type\":\"code\",\"source\":\"1\",\"outputs\":[{\"output_type\":\"stream\",\"output_type\":\"x\"}]}]}")]
    [InlineData("{\"nbformat\":4,\"nbformat_minor\":5,\"metadata\":{\"a\":{\"b\":1,\"b\":2}},\"cells\":[]}")]
    public void Notebook_with_a_duplicate_key_is_NotebookInvalid_not_ArgumentException(string json)
    {
        var e = Assert.Throws<KernelException>(() => JupyterKernels.Notebooks.NotebookDocument.Parse(json, "dup.ipynb"));
        Assert.Equal(ErrorIds.NotebookInvalid, e.ErrorId);
        Assert.Contains("twice", e.Message);
    }

    // Found by the coverage-guided provider-data target (tests/Fuzz/corpus/provider-data/crash-*): a string of the
    // store's provider_data escaping a lone UTF-16 surrogate made GetString throw InvalidOperationException out of
    // LocalKernelData.Of, which promises a damaged row reads as empty.
    [Fact]
    public void Provider_data_with_a_lone_surrogate_escape_reads_as_empty_not_InvalidOperationException()
    {
        var record = new JupyterKernels.Providers.KernelRecord { Id = "k", Provider = "local", SpecName = "python3", ProviderData = "{\"connection_file\":\"a\\udddd\",\"url\":\"\\ud800\"}" };
        Assert.Null(JupyterKernels.Providers.Local.LocalKernelData.Of(record).ConnectionFile);
        Assert.Null(JupyterKernels.Providers.Gateway.RemoteKernelData.Of(record).Url);
    }
}
