using System.Runtime.CompilerServices;
using JupyterKernels.Sync;

namespace JupyterKernels.Service;

public sealed partial class KernelService
{
    public async IAsyncEnumerable<SyncResult> SynchronizeAsync(SyncOptions options, Func<string, string, bool>? shouldProcess, ISyncObserver? observer,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        var providers = await ProvidersAsync(cancellationToken).ConfigureAwait(false);
        var byName = new Dictionary<string, JupyterKernels.Providers.IKernelProvider>(StringComparer.Ordinal);
        foreach (var info in providers.List()) byName[info.Name] = providers.Get(info.Name);
        var results = await new Synchronizer(store, byName).RunAsync(options, shouldProcess, observer, cancellationToken).ConfigureAwait(false);
        foreach (var result in results)
        {
            // This process's connection to a kernel whose record went is of no further use.
            if (result.Action is SyncAction.Removed or SyncAction.Culled or SyncAction.MarkedDead && !result.WhatIf)
                await DropClientAsync(result.KernelId).ConfigureAwait(false);
            yield return result;
        }
    }
}

/// <summary>The sync in the form of separate sinks, for callers written before <see cref="ISyncObserver"/>.</summary>
public static class KernelServiceSyncExtensions
{
    /// <param name="warnings">Failed probes and shutdowns.</param>
    /// <param name="providerFailures">One error per provider that could not be synced (target = its name); without it a
    /// failed provider shows only in its records' Failed results.</param>
    public static IAsyncEnumerable<SyncResult> SynchronizeAsync(this IKernelService service, SyncOptions options, Func<string, string, bool>? shouldProcess,
        IProgress<KernelWarning>? warnings, CancellationToken cancellationToken, IProgress<KernelException>? providerFailures = null)
    {
        ArgumentNullException.ThrowIfNull(service);
        return service.SynchronizeAsync(options, shouldProcess, new Sinks(warnings, providerFailures), cancellationToken);
    }

    private sealed class Sinks(IProgress<KernelWarning>? warnings, IProgress<KernelException>? failures) : ISyncObserver
    {
        public void Progress(string activity) { }
        public void Warning(KernelWarning warning) => warnings?.Report(warning);
        public void ProviderFailed(KernelException failure) => failures?.Report(failure);
    }
}
