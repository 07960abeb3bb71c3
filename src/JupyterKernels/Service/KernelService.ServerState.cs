using JupyterKernels.Providers;

namespace JupyterKernels.Service;

// What the module says about a remote kernel is what its server says: the state Get-Kernel shows comes from the
// server (it sees every client's work, JupyterLab's included), and a remote kernel's id is the server's, the same on
// every machine and in JupyterLab.
public sealed partial class KernelService
{
    /// <summary>How long Get-Kernel waits for the servers of remote kernels before it shows the recorded state.</summary>
    internal static readonly TimeSpan ServerStateBudget = TimeSpan.FromSeconds(3);

    /// <summary>The kernels, with the state, activity and connections the servers of remote kernels report now. A server
    /// that does not answer within <see cref="ServerStateBudget"/> (or failed a moment ago) leaves its kernels as recorded.</summary>
    private async Task<IReadOnlyList<Kernel>> WithServerStateAsync(IReadOnlyList<KernelRecord> records, IReadOnlyList<Kernel> kernels, CancellationToken cancellationToken)
    {
        var remote = records.Select((r, i) => (r, i)).Where(x => !IsLocal(x.r.Provider) && x.r.RemoteId is not null && x.r.State is not KernelState.Dead).ToList();
        if (remote.Count == 0) return kernels;
        var providers = await ProvidersAsync(cancellationToken).ConfigureAwait(false);
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(ServerStateBudget);
        var listings = remote.Select(x => x.r.Provider).Distinct(StringComparer.Ordinal)
            .Where(name => providers.TryGet(name, out _) && !providers.RecentlyFailed(name))
            .ToDictionary(name => name, name => ListForStateAsync(providers, name, budget.Token), StringComparer.Ordinal);
        try { await Task.WhenAll(listings.Values).WaitAsync(budget.Token).ConfigureAwait(false); }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested) { }
        var result = kernels.ToArray();
        foreach (var (r, i) in remote)
        {
            if (!listings.TryGetValue(r.Provider, out var t) || !t.IsCompletedSuccessfully || t.Result is null) continue;
            var seen = t.Result.FirstOrDefault(k => k.RemoteId == r.RemoteId);
            if (seen is null || seen.State == KernelState.Unknown) continue;
            // A kernel that has answered us is past starting: the server says "starting" until it has seen the
            // kernel's first status message, which may come after our own readiness exchange.
            if (seen.State == KernelState.Starting && result[i].State != KernelState.Starting) continue;
            // A busy the module itself recorded stays busy; otherwise the server's word.
            if (result[i].State != KernelState.Busy || seen.State == KernelState.Busy) result[i] = result[i].WithState(seen.State);
        }
        return result;
    }

    private static async Task<IReadOnlyList<ProviderKernel>?> ListForStateAsync(KernelProviders providers, string name, CancellationToken cancellationToken)
    {
        try
        {
            var listing = await providers.Get(name).ListKernelsAsync(cancellationToken).ConfigureAwait(false);
            return listing.Kernels;
        }
        catch (KernelException e)
        {
            providers.NoteFailure(name, e);
            return null;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    private static bool IsLocal(string provider)
        => string.IsNullOrEmpty(provider) || string.Equals(provider, KernelProviders.LocalName, StringComparison.OrdinalIgnoreCase);

    /// <summary>A remote kernel just started takes its server's id as its id when the server did not take ours (Jupyter
    /// Server picks its own): the id then names the same kernel on every machine, in JupyterLab and in the REST API.</summary>
    private async Task<KernelRecord> TakeServerIdAsync(KernelRecord record)
    {
        if (record.RemoteId is not { } serverId || serverId == record.Id || IsLocal(record.Provider)) return record;
        var store = await StoreAsync(CancellationToken.None).ConfigureAwait(false);
        if (await store.GetKernelAsync(serverId, CancellationToken.None).ConfigureAwait(false) is not null) return record;
        var renamed = record with { Id = serverId };
        // The store keeps a provider's remote ids unique, so the placeholder goes first; a crash in between leaves a
        // kernel the server lists and Sync-KernelSession -Adopt records (under the same id).
        await store.RemoveKernelAsync(record.Id, CancellationToken.None).ConfigureAwait(false);
        try { await store.AddKernelAsync(renamed, CancellationToken.None).ConfigureAwait(false); }
        catch (KernelException)
        {
            await store.UpsertKernelAsync(record, CancellationToken.None).ConfigureAwait(false);
            return record;
        }
        return renamed;
    }
}
