using JupyterKernels.Notebooks;

namespace JupyterKernels.Tests.Notebooks;

/// <summary>nbclient's rule for the kernels it starts: IPython kernels (jupyter_client's KernelManager.ipykernel, by
/// spec name) keep their history in memory; other kernels and remote specs get no extra arguments.</summary>
public sealed class NotebookKernelArgumentsTests
{
    [Theory]
    [InlineData("python")]
    [InlineData("python2")]
    [InlineData("python3")]
    public void IPythonSpecsKeepHistoryInMemory(string spec) =>
        Assert.Equal(new[] { "--HistoryManager.hist_file=:memory:" }, NotebookKernelArguments.For(spec));

    [Theory]
    [InlineData("ir")]
    [InlineData("xpython")]
    [InlineData("Python3")]
    [InlineData("server/python3")]
    public void OtherSpecsGetNone(string spec) => Assert.Empty(NotebookKernelArguments.For(spec));
}
