namespace JupyterKernels;

/// <summary>
/// Mirrors the names of System.Management.Automation.ErrorCategory we use, so the core stays free of
/// PowerShell while the cmdlets map one to one (Enum.Parse by name).
/// </summary>
public enum KernelErrorCategory
{
    NotSpecified,
    InvalidArgument,
    InvalidData,
    InvalidOperation,
    ObjectNotFound,
    OperationTimeout,
    ConnectionError,
    ResourceUnavailable,
    /// <summary>Another process runs code on the kernel (Stop-Kernel, Restart-Kernel, Remove-KernelSession without -Force).</summary>
    ResourceBusy,
    PermissionDenied,
    AuthenticationError,
    SecurityError,
    OperationStopped,
    ProtocolError,
    ResourceExists,
    NotImplemented,
    /// <summary>Something cannot be written (e.g. the store on a read-only file system).</summary>
    WriteError,
    /// <summary>Out of space (e.g. no space left on the store's device).</summary>
    QuotaExceeded,
}
