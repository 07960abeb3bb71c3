namespace JupyterKernels;

/// <summary>
/// Every failure the core reports to a caller. <see cref="ErrorId"/> is stable (documented, asserted by tests and
/// by users' scripts); the message never contains a key or token.
/// </summary>
public class KernelException : Exception
{
    public KernelException(string errorId, KernelErrorCategory category, string message, object? target = null, Exception? inner = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        Category = category;
        Target = target;
    }

    public string ErrorId { get; }
    public KernelErrorCategory Category { get; }
    /// <summary>The kernel id, spec name, provider name or path the error is about.</summary>
    public object? Target { get; }

    /// <summary>Set on a KernelDied whose evidence is a local process gone: what its owner needs to tell a restart from a death.</summary>
    internal KernelProcessGone? ProcessGone { get; init; }
}
