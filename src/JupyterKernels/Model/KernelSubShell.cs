namespace JupyterKernels;

/// <summary>A subshell of a kernel (protocol 5.5). Accepted by Invoke-KernelCode -SubShell and by pipeline.</summary>
public sealed class KernelSubShell
{
    public required string KernelId { get; init; }
    public required string SubShellId { get; init; }
    public DateTimeOffset CreatedAt { get; init; }

    public override string ToString() => $"{KernelId}/{SubShellId}";
}
