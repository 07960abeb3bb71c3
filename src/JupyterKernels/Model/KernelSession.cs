namespace JupyterKernels;

/// <summary>A named session bound to a kernel ("create or reuse" by name).</summary>
public sealed class KernelSession
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public string Path { get; init; } = "";
    public string Type { get; init; } = "console";
    public required string KernelId { get; init; }
    public string? KernelName { get; init; }
    public string? Provider { get; init; }
    public DateTimeOffset CreatedAt { get; init; }

    public override string ToString() => Name;
}
