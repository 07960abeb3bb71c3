namespace JupyterKernels;

/// <summary>How a notebook run ended.</summary>
public enum NotebookRunStatus
{
    /// <summary>Every code cell ran without an error (or with -ContinueOnError, ran at all).</summary>
    Completed,
    /// <summary>A cell failed (error, timeout, kernel died); the output notebook marks it.</summary>
    Failed,
    /// <summary>Stopped by Ctrl+C; the output notebook shows the cells that ran.</summary>
    Cancelled,
}

/// <summary>The record of one Invoke-Notebook run; the output notebook at <see cref="OutputPath"/> holds the rest.</summary>
public sealed class NotebookRunResult
{
    public required string Path { get; init; }
    public required string OutputPath { get; init; }
    public NotebookRunStatus Status { get; init; }
    public required string KernelId { get; init; }
    public required string KernelName { get; init; }
    public string? Language { get; init; }
    /// <summary>Code cells with source (the ones a run executes).</summary>
    public int CellCount { get; init; }
    public int CellsRun { get; init; }
    /// <summary>
    /// Index (0-based) of the first failed cell in the notebook as it ran: the input's cells plus the injected-parameters
    /// cell, not counting the two error banner cells the output notebook gets; null when no cell failed.
    /// </summary>
    public int? FailedCellIndex { get; init; }
    /// <summary>The execution count of that cell (its "In [N]" in the notebook), or null when it never got one.</summary>
    public int? FailedCellExecutionCount { get; init; }
    /// <summary>
    /// The failed cell as messages and views name it, by the label the notebook shows ("In [2]", as papermill's error
    /// banner does); a cell that never got an execution count by its index ("cell index 3"). Null when none failed.
    /// </summary>
    public string? FailedCell => FailedCellExecutionCount is { } n ? $"In [{n}]" : FailedCellIndex is { } i ? $"cell index {i}" : null;
    /// <summary>"Ename: evalue" of the first failure, or null.</summary>
    public string? Error { get; init; }
    /// <summary>The kernel's traceback of that failure (may hold ANSI colour codes, as kernels send it).</summary>
    public IReadOnlyList<string> Traceback { get; init; } = Array.Empty<string>();
    public DateTimeOffset StartTime { get; init; }
    public DateTimeOffset EndTime { get; init; }
    public TimeSpan Duration => EndTime - StartTime;
    public IReadOnlyDictionary<string, object?> Parameters { get; init; } = new Dictionary<string, object?>();
    /// <summary>True when the kernel was started for this run (and shut down after it).</summary>
    public bool KernelStarted { get; init; }
    public override string ToString() => $"{Status} {CellsRun}/{CellCount} {OutputPath}";
}
