namespace JupyterKernels.Service;

public sealed record StartKernelOptions
{
    /// <summary>Spec name: bare = local provider, <c>provider/name</c> = remote.</summary>
    public required string SpecName { get; init; }
    public string? SessionName { get; init; }
    public string? WorkingDirectory { get; init; }
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Appended to a local kernelspec's argv (jupyter_client's extra_arguments).</summary>
    public IReadOnlyList<string> ExtraArguments { get; init; } = Array.Empty<string>();
}
