using System.Collections.Concurrent;
using JupyterKernels.Connections;
using JupyterKernels.Kernelspecs;
using JupyterKernels.Providers;
using JupyterKernels.Providers.Gateway;
using JupyterKernels.Providers.Local;
using JupyterKernels.Store;

namespace JupyterKernels.Service;

/// <summary>
/// The process-wide service behind the cmdlets: the providers registry, the SQLite store (every kernel and session
/// is recorded there, so any PowerShell process finds them again) and the live connections of this process.
/// Static because ThreadJob and ForEach-Object -Parallel runspaces share the process and must share connections.
/// </summary>
public sealed partial class KernelService : IKernelService, IAsyncDisposable
{
    private static readonly Lazy<KernelService> LazyShared = new(() => new KernelService(KernelServiceOptions.FromEnvironment()), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly KernelServiceOptions _options;
    private readonly IKernelProvider _local;
    private readonly SemaphoreSlim _storeGate = new(1, 1);
    private readonly SemaphoreSlim _providersGate = new(1, 1);
    private KernelProviders? _providers;
    private readonly KernelConnections _connections;
    private KernelStore? _store;
    /// <summary>The last open failed: the next one checks the file's integrity too.</summary>
    private bool _storeOpenFailed;

    /// <summary>
    /// Called at Import-Module: warms SQLite (native library, first-use costs) on a thread-pool thread while the
    /// pipeline thread goes on with the import and the first command's lookup and binding, so a cold process's first
    /// store open is shorter. No file is touched and nothing is cached: a failure here is ignored and the real open
    /// reports its own.
    /// </summary>
    public static void WarmUpInBackground() =>
        ThreadPool.UnsafeQueueUserWorkItem(static _ =>
        {
            try
            {
                KernelStore.WarmUp();
                StartupTrace.Mark("warm-up: SQLite ready");
            }
            catch (Exception)
            {
                // Only a head start: the store's real open reports any problem.
            }
        }, null);

    /// <summary>The instance every cmdlet uses.</summary>
    public static IKernelService Shared => LazyShared.Value;

    public KernelService(KernelServiceOptions options)
    {
        _options = options;
        var paths = options.Paths ?? JupyterPaths.Current;
        Paths = paths;
        _connections = new KernelConnections(options.IdleConnectionTimeout);
        _local = options.LocalProvider ?? new LocalKernelProvider(paths, connections: _connections);
    }

    internal JupyterPaths Paths { get; }

    /// <summary>
    /// The store, opened on first use (a broken or newer store fails the call that needs it, clearly). Every call checks
    /// the file under it (<see cref="KernelStore.VerifyFile"/>: header, length), so a store damaged behind this process
    /// is StoreInvalid before a command writes to it or starts anything. After a store error the handle is reopened on
    /// the next call, with an integrity check: its pooled connections may hold a file since replaced or restored, and a
    /// long-lived host must not keep answering StoreInvalid once the good file is back.
    /// </summary>
    internal async Task<KernelStore> StoreAsync(CancellationToken cancellationToken)
    {
        if (_store is { Faulted: false } store)
        {
            store.VerifyFile();
            return store;
        }
        await _storeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_store is { Faulted: false } opened)
            {
                opened.VerifyFile();
                return opened;
            }
            bool reopening = _store is not null || _storeOpenFailed;
            if (_store is { } faulted)
            {
                _store = null;
                faulted.ReleaseConnections();
            }
            try
            {
                var dataDir = _options.DatabasePath is null ? StoreLocation.DataDirectory(Paths, _options.GetEnvironmentVariable) : Paths.DataDir;
                _store = await KernelStore.OpenAsync(KernelStore.ResolvePath(_options.DatabasePath, dataDir),
                    new KernelStoreOptions { DataDirectory = dataDir, VerifyIntegrity = reopening }, cancellationToken).ConfigureAwait(false);
                _storeOpenFailed = false;
                return _store;
            }
            catch (KernelException)
            {
                _storeOpenFailed = true;
                throw;
            }
        }
        finally
        {
            _storeGate.Release();
        }
    }

    /// <summary>The providers registry, loaded from the providers file on first use.</summary>
    internal async Task<KernelProviders> ProvidersAsync(CancellationToken cancellationToken)
    {
        if (_providers is { } providers) return providers;
        await _providersGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_providers is not null) return _providers;
            StartupTrace.Mark("providers load");
            var registry = await KernelProviders.LoadAsync(_local, GatewayProviderFactory.Instance, Paths.ConfigDir, cancellationToken).ConfigureAwait(false);
            registry.AddEnvironmentProvider(_options.GetEnvironmentVariable);
            StartupTrace.Mark("providers load done");
            return _providers = registry;
        }
        finally
        {
            _providersGate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _connections.DisposeAsync().ConfigureAwait(false);
        if (_providers is not null) await _providers.DisposeAsync().ConfigureAwait(false);
        if (_store is not null) await _store.DisposeAsync().ConfigureAwait(false);
        _storeGate.Dispose();
        _providersGate.Dispose();
    }
}
