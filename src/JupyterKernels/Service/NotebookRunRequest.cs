using JupyterKernels.Notebooks;

namespace JupyterKernels.Service;

/// <summary>What Invoke-Notebook asks for. The kernel: <see cref="KernelId"/>, else <see cref="SessionName"/>
/// (create or reuse), else a new kernel of <see cref="KernelName"/> or of the notebook's metadata.kernelspec.</summary>
public sealed record NotebookRunRequest
{
    public required string InputPath { get; init; }
    public required string OutputPath { get; init; }
    public IReadOnlyList<KeyValuePair<string, ParameterValue>> Parameters { get; init; } = Array.Empty<KeyValuePair<string, ParameterValue>>();
    public string? KernelName { get; init; }
    public string? KernelId { get; init; }
    public string? SessionName { get; init; }
    /// <summary>Of a kernel started for the run (local: its process's working directory).</summary>
    public string? WorkingDirectory { get; init; }
    /// <summary>Per cell; null = no limit.</summary>
    public TimeSpan? CellTimeout { get; init; }
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);
    public bool ContinueOnError { get; init; }
    /// <summary>Replace an existing output file.</summary>
    public bool Force { get; init; }
}

/// <summary>A checked, parameterised notebook ready to run (and what -WhatIf shows): nothing has been written or started.</summary>
public sealed class NotebookRunPlan
{
    internal NotebookRunPlan(NotebookRunRequest request, NotebookDocument notebook, string kernelName, string? language, int codeCells, int injectedCellIndex)
    {
        Request = request;
        Notebook = notebook;
        KernelName = kernelName;
        Language = language;
        CodeCellCount = codeCells;
        InjectedCellIndex = injectedCellIndex;
    }

    public NotebookRunRequest Request { get; }
    internal NotebookDocument Notebook { get; }
    /// <summary>The spec of the kernel that will run it (of the existing kernel with -Id).</summary>
    public string KernelName { get; }
    public string? Language { get; }
    public int CodeCellCount { get; }
    /// <summary>Where the injected-parameters cell went, or -1 (no parameters).</summary>
    public int InjectedCellIndex { get; }
    /// <summary>Parameters given that the notebook's parameters cell does not assign (papermill warns of them).</summary>
    public IReadOnlyList<string> UnknownParameters { get; init; } = Array.Empty<string>();

    /// <summary>"kernel 'python3' (new)" / "kernel &lt;id&gt;" / "session 'etl'": for -WhatIf and progress.</summary>
    public string KernelDescription =>
        Request.KernelId is { } id ? $"kernel {id}" : Request.SessionName is { } s ? $"session '{s}' ({KernelName})" : $"a new '{KernelName}' kernel";
}
