using System.Text.Json.Nodes;
using JupyterKernels.Connections;

namespace JupyterKernels.Notebooks;

/// <summary>Runs one cell's code on the kernel of the run (the Service binds it to a kernel id and its live client).</summary>
internal interface INotebookCellExecutor
{
    Task<KernelExecution> ExecuteAsync(string code, ExecuteOptions options, CancellationToken cancellationToken);

    /// <summary>The language_info of the kernel's kernel_info_reply (null when it gives none).</summary>
    Task<JsonObject?> GetLanguageInfoAsync(CancellationToken cancellationToken);
}

/// <summary>What a caller sees of a run while it goes: cell progress, and (with <see cref="WantsOutputs"/>) the outputs.</summary>
public interface INotebookRunObserver
{
    void CellStarting(NotebookCellProgress progress);
    bool WantsOutputs { get; }
    /// <summary>A typed output (the objects Invoke-KernelCode writes) of the cell at <paramref name="cellIndex"/>.</summary>
    void Output(int cellIndex, KernelOutput output);
}

/// <param name="CellIndex">Index in the notebook as it runs (the input plus any injected-parameters cell; papermill's
/// error banner cells, added at the end of a failed run, are not counted).</param>
/// <param name="Number">1-based among the code cells that run.</param>
/// <param name="Total">Code cells that run.</param>
public sealed record NotebookCellProgress(int CellIndex, int Number, int Total, string FirstLine);

internal sealed record NotebookRunSettings
{
    public required string InputPath { get; init; }
    public required string OutputPath { get; init; }
    public required string KernelId { get; init; }
    public required string KernelName { get; init; }
    public string? Language { get; init; }
    public bool KernelStarted { get; init; }
    public TimeSpan? CellTimeout { get; init; }
    public bool ContinueOnError { get; init; }
    /// <summary>As given (for metadata.papermill.parameters and the result).</summary>
    public IReadOnlyList<KeyValuePair<string, ParameterValue>> Parameters { get; init; } = Array.Empty<KeyValuePair<string, ParameterValue>>();
}
