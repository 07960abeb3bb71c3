namespace JupyterKernels;

/// <summary>A warning the module writes, with a stable id (<see cref="ErrorIds"/>) a script can branch on, as it can
/// on an error's id. PowerShell shows it in <c>WarningRecord.FullyQualifiedWarningId</c>.</summary>
public sealed record KernelWarning(string WarningId, string Message)
{
    public override string ToString() => Message;
}
