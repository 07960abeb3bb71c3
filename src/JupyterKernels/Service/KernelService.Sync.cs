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
