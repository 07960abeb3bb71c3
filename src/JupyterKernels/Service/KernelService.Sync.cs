using System.Runtime.CompilerServices;
using JupyterKernels.Sync;

namespace JupyterKernels.Service;

public sealed partial class KernelService
{
    public async IAsyncEnumerable<SyncResult> SynchronizeAsync(SyncOptions options, Func<string, string, bool>? shouldProcess,
        IProgress<KernelWarning>? warnings, [EnumeratorCancellation] CancellationToken cancellationToken, IProgress<KernelException>? providerFailures = null)
    {
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        var providers = await ProvidersAsync(cancellationToken).ConfigureAwait(false);
        var byName = new Dictionary<string, JupyterKernels.Providers.IKernelProvider>(StringComparer.Ordinal);
        foreach (var info in providers.List()) byName[info.Name] = providers.Get(info.Name);
        // A name that is neither registered nor on any record syncs nothing: say so instead of an empty, quiet run.
        if (options.Providers is { Count: > 0 } asked)
        {
            var recorded = (await store.ListKernelsAsync(null, cancellationToken).ConfigureAwait(false)).Select(r => r.Provider).ToHashSet(StringComparer.Ordinal);
            foreach (var name in asked.Where(n => !byName.ContainsKey(n) && !recorded.Contains(n)).Distinct(StringComparer.Ordinal))
            {
                var message = $"No provider named '{name}' is registered, and no kernel record names it (Get-KernelProvider lists the providers).";
                if (providerFailures is not null) providerFailures.Report(new KernelException(ErrorIds.ProviderNotFound, KernelErrorCategory.ObjectNotFound, message, name));
                else yield return new SyncResult { KernelId = "", Provider = name, Action = SyncAction.Failed, Reason = message, State = KernelState.Unknown, WhatIf = options.WhatIf };
            }
        }
        var synchronizer = new Synchronizer(store, byName);
        var summary = new SyncRunSummary();
        var reported = new HashSet<string>(StringComparer.Ordinal);
        var adopted = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        await foreach (var result in synchronizer.SynchronizeAsync(options, summary, shouldProcess, w => warnings?.Report(w), cancellationToken).ConfigureAwait(false))
        {
            if (providerFailures is not null) ReportNewFailures(summary, reported, providerFailures);
            else if (result.Action == SyncAction.Failed) reported.Add(result.Provider);
            if (result.Action == SyncAction.Adopted && !result.WhatIf)
                (adopted.TryGetValue(result.Provider, out var ids) ? ids : adopted[result.Provider] = new List<string>()).Add(result.KernelId);
            if (result.Action is SyncAction.Removed or SyncAction.Culled or SyncAction.MarkedDead && !result.WhatIf)
                await DropClientAsync(result.KernelId).ConfigureAwait(false);
            yield return result;
        }
        foreach (var (provider, ids) in adopted)
            if (byName.TryGetValue(provider, out var p)) await RecordAdoptedSessionsAsync(p, ids, cancellationToken).ConfigureAwait(false);
        if (providerFailures is not null)
        {
            ReportNewFailures(summary, reported, providerFailures);
            yield break;
        }
        // Without a failure sink: a failed provider with no records still failed, so say so in a row.
        foreach (var (provider, reason) in summary.FailedProviders)
        {
            if (reported.Contains(provider)) continue;
            yield return new SyncResult { KernelId = "", Provider = provider, Action = SyncAction.Failed, Reason = reason, State = KernelState.Unknown, WhatIf = options.WhatIf };
        }
    }

    /// <summary>One SyncProviderFailed per failed provider, as soon as the run has tried it.</summary>
    private static void ReportNewFailures(SyncRunSummary summary, HashSet<string> reported, IProgress<KernelException> sink)
    {
        foreach (var (provider, reason) in summary.FailedProviders)
        {
            if (!reported.Add(provider)) continue;
            sink.Report(new KernelException(ErrorIds.SyncProviderFailed, KernelErrorCategory.ConnectionError,
                $"Provider '{provider}' could not be synced ({reason}); its records were left unchanged.", provider));
        }
    }
}
