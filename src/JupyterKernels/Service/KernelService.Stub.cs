using JupyterKernels.Connections;

namespace JupyterKernels.Service;

// TEMPORARY scaffolding while the layers are built in parallel: the lead replaces this file with the real
// implementation before anything is called done. Not shipped in this state.
public sealed partial class KernelService : IKernelService
{
    private readonly KernelServiceOptions _options;

    public KernelService(KernelServiceOptions options) => _options = options;

    private static Exception Pending() => new NotImplementedException("KernelService is being implemented.");

    public Task<KernelSpecListing> GetKernelSpecsAsync(string? provider, bool refresh, CancellationToken cancellationToken) => throw Pending();
    public Task<Kernel> StartKernelAsync(StartKernelOptions options, IProgress<string>? progress, CancellationToken cancellationToken) => throw Pending();
    public Task<IReadOnlyList<Kernel>> GetKernelsAsync(CancellationToken cancellationToken) => throw Pending();
    public Task<Kernel> GetKernelAsync(string kernelId, CancellationToken cancellationToken) => throw Pending();
    public Task StopKernelAsync(string kernelId, bool force, CancellationToken cancellationToken) => throw Pending();
    public Task<Kernel> RestartKernelAsync(string kernelId, CancellationToken cancellationToken) => throw Pending();
    public Task InterruptKernelAsync(string kernelId, CancellationToken cancellationToken) => throw Pending();
    public Task<KernelExecution> ExecuteAsync(string kernelId, string code, ExecuteOptions options, CancellationToken cancellationToken) => throw Pending();
    public Task<KernelSubShell> CreateSubShellAsync(string kernelId, CancellationToken cancellationToken) => throw Pending();
    public Task<IReadOnlyList<KernelSubShell>> GetSubShellsAsync(string kernelId, CancellationToken cancellationToken) => throw Pending();
    public Task DeleteSubShellAsync(string kernelId, string subShellId, CancellationToken cancellationToken) => throw Pending();
    public Task<KernelSession> NewSessionAsync(string name, string specName, string? path, string? type, IProgress<string>? progress, CancellationToken cancellationToken) => throw Pending();
    public Task<IReadOnlyList<KernelSession>> GetSessionsAsync(CancellationToken cancellationToken) => throw Pending();
    public Task RemoveSessionAsync(string name, bool stopKernel, CancellationToken cancellationToken) => throw Pending();
    public IAsyncEnumerable<SyncResult> SynchronizeAsync(SyncOptions options, Func<string, string, bool>? shouldProcess, IProgress<string>? warnings, CancellationToken cancellationToken) => throw Pending();
    public Task<IReadOnlyList<KernelProviderInfo>> GetProvidersAsync(CancellationToken cancellationToken) => throw Pending();
    public Task<KernelProviderInfo> RegisterProviderAsync(ProviderRegistration registration, CancellationToken cancellationToken) => throw Pending();
    public Task UnregisterProviderAsync(string name, CancellationToken cancellationToken) => throw Pending();
}
