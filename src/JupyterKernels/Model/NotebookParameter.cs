namespace JupyterKernels;

/// <summary>
/// One assignment of a notebook's <c>parameters</c> cell (Get-NotebookParameter), as papermill's --help-notebook
/// lists it: the name, the declared or inferred type, the default expression as written, and the trailing comment.
/// </summary>
public sealed class NotebookParameter
{
    public required string Name { get; init; }
    /// <summary>Declared (annotation) or inferred from the literal; empty when the expression is not a literal.</summary>
    public string Type { get; init; } = "";
    /// <summary>The default expression, verbatim.</summary>
    public required string Default { get; init; }
    public string Help { get; init; } = "";
    public string Language { get; init; } = "";
    public string? Path { get; init; }
    public override string ToString() => $"{Name} = {Default}";
}
