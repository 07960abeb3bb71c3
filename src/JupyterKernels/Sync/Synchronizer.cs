using System.Runtime.CompilerServices;
using JupyterKernels.Providers;
using JupyterKernels.Store;

namespace JupyterKernels.Sync;

/// <summary>What one synchronizer run did overall; filled while the results are enumerated.</summary>
internal sealed class SyncRunSummary
{
    private readonly Dictionary<string, string> _failedProviders = new(StringComparer.Ordinal);
    private readonly Dictionary<SyncAction, int> _counts = Enum.GetValues<SyncAction>().ToDictionary(a => a, _ => 0);

    /// <summary>Providers that could not be listed (name → reason). Their records were left unchanged and reported
    /// with <see cref="SyncAction.Failed"/>. Non-empty means the run was incomplete: a script should exit non-zero.</summary>
    public IReadOnlyDictionary<string, string> FailedProviders => _failedProviders;

    /// <summary>Results per action (WhatIf results included).</summary>
    public IReadOnlyDictionary<SyncAction, int> Counts => _counts;

    /// <summary>True when a provider failed or any record's action failed (e.g. a cull's shutdown).</summary>
    public bool HasFailures => _failedProviders.Count > 0 || _counts[SyncAction.Failed] > 0;

    internal void AddFailedProvider(string name, string reason) => _failedProviders[name] = reason;
    internal void Count(SyncResult r) => _counts[r.Action]++;
}

/// <summary>
/// Reconciles the store with what providers report, following "never delete a record on doubt":
/// <list type="bullet">
/// <item>Remote providers are listed once each. A provider whose listing throws is reported in
/// <see cref="SyncRunSummary.FailedProviders"/> (the caller reports it once), and each of its records is reported
/// <see cref="SyncAction.Failed"/> ("record left unchanged") — nothing is written for it.</item>
/// <item>A recorded kernel found in the listing is alive (state, activity and connections are taken from the listing).
/// One missing from a complete listing, and every kernel when the listing is incomplete (403), is probed by id; only a
/// probe saying <see cref="KernelLiveness.Gone"/> marks it dead (or removes it with RemoveDead). Unknown, or a probe
/// that throws, keeps it.</item>
/// <item>Local providers (Kind "local") are not listed: every record is probed (process + heartbeat).</item>
/// <item>Adopt records listed remote kernels we do not know (new id = remote id, unless taken).</item>
/// <item>CullIdle shuts down (through the provider) and forgets kernels whose last activity (else start time) is
/// older than now - CullIdle, skipping busy ones unless IncludeBusy and ones with open connections unless
/// IncludeConnected (jupyter_server's culler). A failed shutdown is reported Failed and the record kept.</item>
/// <item>Records of providers not registered are Kept with the reason "provider X is not registered", or removed with RemoveDead.</item>
/// <item>WhatIf: every change is reported with WhatIf=true and nothing is written or shut down.</item>
/// </list>
/// Cost is linear: one store read, one listing per provider, dictionary look-ups, probes with bounded parallelism,
/// and one write transaction per provider. Writes only touch the observed columns of rows that still exist, so a
/// record removed by another process meanwhile is not resurrected.
/// </summary>
internal sealed class Synchronizer
{
    private readonly KernelStore _store;
    private readonly IReadOnlyDictionary<string, IKernelProvider> _providers;
    private readonly TimeProvider _time;

    public Synchronizer(KernelStore store, IReadOnlyDictionary<string, IKernelProvider> providers, TimeProvider? timeProvider = null)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _providers = providers ?? throw new ArgumentNullException(nameof(providers));
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>How many probes / shutdowns run at once per provider.</summary>
    public int Parallelism { get; init; } = 8;

    /// <param name="summary">Filled during enumeration (failed providers, counts).</param>
    /// <param name="shouldProcess">Asked (target, action) before MarkDead, Remove, Adopt and Cull; false keeps the
    /// record as it is (reported Kept, "not confirmed"). Not asked for bookkeeping updates. Under WhatIf it is asked
    /// too (the caller prints "What if:"), and nothing changes whatever the answer.</param>
    /// <param name="warning">Receives one line per failed probe (a failed provider is in <paramref name="summary"/>).</param>
    public async IAsyncEnumerable<SyncResult> SynchronizeAsync(
        SyncOptions options,
        SyncRunSummary? summary = null,
        Func<string, string, bool>? shouldProcess = null,
        Action<KernelWarning>? warning = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        summary ??= new SyncRunSummary();
        var filter = options.Providers is null ? null : new HashSet<string>(options.Providers, StringComparer.Ordinal);

        var all = await _store.ListKernelsAsync(null, cancellationToken).ConfigureAwait(false);
        var executions = new Dictionary<string, List<ExecutionInFlight>>(StringComparer.Ordinal);
        foreach (var e in await _store.ListExecutionsAsync(null, cancellationToken).ConfigureAwait(false))
        {
            if (!executions.TryGetValue(e.KernelId, out var list)) executions[e.KernelId] = list = new List<ExecutionInFlight>();
            list.Add(e);
        }
        var byProvider = new Dictionary<string, List<KernelRecord>>(StringComparer.Ordinal);
        foreach (var r in all)
        {
            if (!byProvider.TryGetValue(r.Provider, out var list)) byProvider[r.Provider] = list = new List<KernelRecord>();
            list.Add(r);
        }

        var pendingSessions = await PendingSessionResolution.FindAsync(_store, all, cancellationToken).ConfigureAwait(false);
        var outcomes = new Dictionary<string, SyncResult>(StringComparer.Ordinal);

        // The local provider first: its results never wait behind a remote one.
        var names = byProvider.Keys.Union(_providers.Keys, StringComparer.Ordinal)
            .Where(n => filter is null || filter.Contains(n))
            .OrderBy(n => _providers.TryGetValue(n, out var p) && string.Equals(p.Kind, "local", StringComparison.OrdinalIgnoreCase) ? 0 : 1)
            .ThenBy(n => n, StringComparer.Ordinal)
            .ToList();

        foreach (var name in names)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var records = byProvider.TryGetValue(name, out var l) ? l : new List<KernelRecord>();
            IReadOnlyList<SyncResult> results;
            if (!_providers.TryGetValue(name, out var provider))
            {
                results = await ProviderGoneAsync(name, records, options, shouldProcess, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                results = await SyncProviderAsync(provider, records, executions, options, summary, shouldProcess, warning, cancellationToken).ConfigureAwait(false);
            }
            foreach (var r in results)
            {
                outcomes[r.KernelId] = r;
                summary.Count(r);
                yield return r;
            }
        }

        foreach (var r in await pendingSessions.ResolveAsync(outcomes, options, shouldProcess, cancellationToken).ConfigureAwait(false))
        {
            summary.Count(r);
            yield return r;
        }
    }

    /// <summary>Records of a provider that is no longer registered: no command can reach their kernels, so RemoveDead
    /// removes them (asked one by one, WhatIf reports); otherwise they are kept and the result says why.</summary>
    private async Task<IReadOnlyList<SyncResult>> ProviderGoneAsync(string name, List<KernelRecord> records, SyncOptions options,
        Func<string, string, bool>? shouldProcess, CancellationToken ct)
    {
        var why = $"provider '{name}' is not registered";
        var results = new List<SyncResult>(records.Count);
        foreach (var r in records)
        {
            if (!options.RemoveDead)
            {
                results.Add(ProviderSyncPass.Result(r, SyncAction.Kept, $"{why}; record left unchanged (-RemoveDead removes it)", r.State));
                continue;
            }
            const string action = "Remove the record of a kernel whose provider is not registered";
            var confirmed = shouldProcess is null || shouldProcess($"kernel {r.Id} ({r.Provider})", action);
            if (options.WhatIf) results.Add(ProviderSyncPass.Result(r, SyncAction.Removed, why, KernelState.Dead, whatIf: true));
            else if (!confirmed) results.Add(ProviderSyncPass.Result(r, SyncAction.Kept, $"not confirmed: {action}", r.State));
            else if (await _store.RemoveKernelAsync(r.Id, ct).ConfigureAwait(false)) results.Add(ProviderSyncPass.Result(r, SyncAction.Removed, why, KernelState.Dead));
            else results.Add(ProviderSyncPass.Result(r, SyncAction.Kept, "the record was removed by another process meanwhile", r.State));
        }
        return results;
    }

    /// <summary>One provider's records through the steps of <see cref="ProviderSyncPass"/>.</summary>
    private async Task<IReadOnlyList<SyncResult>> SyncProviderAsync(
        IKernelProvider provider, List<KernelRecord> records, Dictionary<string, List<ExecutionInFlight>> executions, SyncOptions options,
        SyncRunSummary summary, Func<string, string, bool>? shouldProcess, Action<KernelWarning>? warning, CancellationToken ct)
    {
        var pass = new ProviderSyncPass(_store, provider, records, executions, options, shouldProcess, warning, Parallelism);
        if (!await pass.ListAsync(summary, ct).ConfigureAwait(false)) return pass.Results;
        await pass.RecoverStartsAsync(ct).ConfigureAwait(false);
        await pass.ObserveAsync(ct).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        await pass.DecideAsync(now, ct).ConfigureAwait(false);
        await pass.ResolveStartsAsync(ct).ConfigureAwait(false);
        await pass.AdoptAsync(now, ct).ConfigureAwait(false);
        await pass.CullAsync(ct).ConfigureAwait(false);
        await pass.ClearStaleExecutionsAsync(ct).ConfigureAwait(false);
        await pass.ApplyAsync(ct).ConfigureAwait(false);
        return pass.Results;
    }
}
