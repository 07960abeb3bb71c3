namespace JupyterKernels.Notebooks;

/// <summary>
/// The extra command-line arguments a kernel started for a notebook run gets, as nbclient gives them
/// (NotebookClient.async_start_new_kernel): an IPython kernel keeps its history in memory
/// (<c>--HistoryManager.hist_file=:memory:</c>), so that many kernels running notebooks at once do not contend for one
/// on-disk history database ("Session/line number was not unique in database"). "IPython kernel" is
/// jupyter_client's KernelManager.ipykernel test: the spec is named python, python2 or python3. Only a local spec
/// takes arguments (a server starts its kernels from its own argv).
/// </summary>
internal static class NotebookKernelArguments
{
    public const string InMemoryHistory = "--HistoryManager.hist_file=:memory:";

    private static readonly HashSet<string> IPythonSpecNames = new(StringComparer.Ordinal) { "python", "python2", "python3" };

    public static IReadOnlyList<string> For(string specName) =>
        IPythonSpecNames.Contains(specName) ? new[] { InMemoryHistory } : Array.Empty<string>();
}
