namespace JupyterKernels.Service;

/// <summary>Where the service keeps its state; tests point it at temp dirs.</summary>
public sealed record KernelServiceOptions
{
    /// <summary>SQLite store path (null = default in the Jupyter data dir, or $JUPYTERKERNELS_DB).</summary>
    public string? DatabasePath { get; init; }

    public static KernelServiceOptions FromEnvironment() => new()
    {
        DatabasePath = Environment.GetEnvironmentVariable("JUPYTERKERNELS_DB") is { Length: > 0 } db ? db : null,
    };
}
