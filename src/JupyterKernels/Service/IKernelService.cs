using JupyterKernels.Connections;
using JupyterKernels.Providers;
using JupyterKernels.Sync;

namespace JupyterKernels.Service;

/// <summary>
/// The one entry point the cmdlets use (one shared instance per process: <see cref="KernelService.Shared"/>).
/// Providers, the store and live connections hide behind it. Every method is async, takes a token, and fails
/// with <see cref="KernelException"/> only.
/// </summary>
public interface IKernelService
{
    // Kernelspecs
    Task<KernelSpecListing> GetKernelSpecsAsync(string? provider, bool refresh, CancellationToken cancellationToken);
    /// <summary>Copies a kernelspec's resources (logos) into a folder; returns the files written.</summary>
    Task<IReadOnlyList<string>> SaveKernelSpecResourcesAsync(string specName, string folder, CancellationToken cancellationToken);

    // Kernels
    /// <param name="progress">Human-readable start phases ("launching", "waiting for kernel_info"...), for Write-Progress.</param>
    Task<Kernel> StartKernelAsync(StartKernelOptions options, IProgress<string>? progress, CancellationToken cancellationToken);
    Task<IReadOnlyList<Kernel>> GetKernelsAsync(CancellationToken cancellationToken);
    /// <exception cref="KernelException">KernelNotFound</exception>
    Task<Kernel> GetKernelAsync(string kernelId, CancellationToken cancellationToken);
    Task StopKernelAsync(string kernelId, bool force, CancellationToken cancellationToken);
    Task<Kernel> RestartKernelAsync(string kernelId, CancellationToken cancellationToken);
    Task InterruptKernelAsync(string kernelId, CancellationToken cancellationToken);
    /// <summary>Adopts the local kernel behind a connection file another Jupyter client wrote (Connect-Kernel -Path);
    /// returns the existing record when that file is already known.</summary>
    /// <exception cref="KernelException">ConnectionFileInvalid, KernelNotResponding (nothing answers)</exception>
    Task<Kernel> ConnectKernelAsync(string connectionFile, CancellationToken cancellationToken);

    // Execution
    Task<KernelExecution> ExecuteAsync(string kernelId, string code, ExecuteOptions options, CancellationToken cancellationToken);

    // Subshells (protocol 5.5)
    Task<KernelSubShell> CreateSubShellAsync(string kernelId, CancellationToken cancellationToken);
    Task<IReadOnlyList<KernelSubShell>> GetSubShellsAsync(string kernelId, CancellationToken cancellationToken);
    Task DeleteSubShellAsync(string kernelId, string subShellId, CancellationToken cancellationToken);

    // Sessions
    /// <summary>Create or reuse: an existing session with a live kernel is returned as it is.</summary>
    Task<KernelSession> NewSessionAsync(string name, string specName, string? path, string? type, IProgress<string>? progress, CancellationToken cancellationToken);
    Task<IReadOnlyList<KernelSession>> GetSessionsAsync(CancellationToken cancellationToken);
    Task RemoveSessionAsync(string name, bool stopKernel, CancellationToken cancellationToken);

    // Sync
    /// <param name="shouldProcess">Asked before each change with (target, action); false skips it (-Confirm).</param>
    IAsyncEnumerable<SyncResult> SynchronizeAsync(SyncOptions options, Func<string, string, bool>? shouldProcess, IProgress<string>? warnings, CancellationToken cancellationToken);

    // Providers
    Task<IReadOnlyList<KernelProviderInfo>> GetProvidersAsync(CancellationToken cancellationToken);
    Task<KernelProviderInfo> RegisterProviderAsync(ProviderRegistration registration, CancellationToken cancellationToken);
    Task UnregisterProviderAsync(string name, CancellationToken cancellationToken);
}
