using JupyterKernels.Providers;
using JupyterKernels.Store;

namespace JupyterKernels.Sync;

/// <summary>
/// Reconciles the store with what providers report, following "never delete a record on doubt". A sync is a plan,
/// then an apply: <see cref="PlanAsync"/> decides without side effects (it reads the store, lists and probes), the
/// caller confirms each change (<see cref="SyncPlan.Confirm"/>: ShouldProcess, "What if:"), and
/// <see cref="ApplyAsync"/> runs the confirmed provider actions and writes everything in one store transaction
/// (<see cref="SyncApplier"/>). Under WhatIf the plan is the answer and nothing is applied.
/// <list type="bullet">
/// <item>Remote providers are listed once each. A provider whose listing throws is reported once, to
/// <see cref="ISyncObserver.ProviderFailed"/>, and each of its records is reported <see cref="SyncAction.Failed"/>
/// ("record left unchanged") — nothing is written for it.</item>
/// <item>A recorded kernel found in the listing is alive (state, activity and connections are taken from the listing).
/// One missing from a complete listing, and every kernel when the listing is incomplete (403), is probed by id; only a
/// probe saying <see cref="KernelLiveness.Gone"/> marks it dead (or removes it with RemoveDead). Unknown, or a probe
/// that throws, keeps it.</item>
/// <item>Providers that probe each kernel (<see cref="ProviderCapabilities.ProbesEachKernel"/>: the local one) are not
/// listed: every record is probed (process + heartbeat).</item>
/// <item>Adopt records listed remote kernels we do not know (new id = remote id, unless taken), with their server sessions.</item>
/// <item>CullIdle shuts down (through the provider) and forgets kernels whose last activity (else start time) is
/// older than now - CullIdle, skipping busy ones unless IncludeBusy and ones with open connections unless
/// IncludeConnected (jupyter_server's culler). A failed shutdown is reported Failed and the record kept.</item>
/// <item>Records of providers not registered are Kept with the reason "provider X is not registered", or removed with RemoveDead.</item>
/// <item>WhatIf: every change is reported with WhatIf=true and nothing is written or shut down.</item>
/// </list>
/// Cost is linear: one store read, one listing per provider, dictionary look-ups, probes with bounded parallelism,
/// and one write transaction per sync. Writes only touch the observed columns of rows that still exist, so a
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

    /// <summary>A whole sync: plan, confirm each change (<paramref name="shouldProcess"/>), apply (unless WhatIf).</summary>
    public async Task<IReadOnlyList<SyncResult>> RunAsync(SyncOptions options, Func<string, string, bool>? shouldProcess, ISyncObserver? observer, CancellationToken ct)
    {
        var plan = await PlanAsync(options, observer, ct).ConfigureAwait(false);
        plan.Confirm(shouldProcess);
        return await ApplyAsync(plan, observer, ct).ConfigureAwait(false);
    }

    /// <summary>Carries out a confirmed plan; under WhatIf returns its results and changes nothing.</summary>
    public Task<IReadOnlyList<SyncResult>> ApplyAsync(SyncPlan plan, ISyncObserver? observer, CancellationToken ct) =>
        new SyncApplier(_store, plan, SyncObserver.For(observer), Parallelism).ApplyAsync(ct);

    /// <summary>Decides what the sync changes, without changing anything: reads the store, lists each provider and
    /// probes what the listing does not settle.</summary>
    public async Task<SyncPlan> PlanAsync(SyncOptions options, ISyncObserver? observer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var report = SyncObserver.For(observer);
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
        // A name that is neither registered nor on any record syncs nothing: say so instead of an empty, quiet run.
        foreach (var name in (options.Providers ?? Array.Empty<string>()).Where(n => !_providers.ContainsKey(n) && !byProvider.ContainsKey(n)).Distinct(StringComparer.Ordinal))
            report.ProviderFailed(new KernelException(ErrorIds.ProviderNotFound, KernelErrorCategory.ObjectNotFound,
                $"No provider named '{name}' is registered, and no kernel record names it (Get-KernelProvider lists the providers).", name));

        var pendingSessions = await PendingSessionResolution.FindAsync(_store, all, cancellationToken).ConfigureAwait(false);

        // A provider that probes each kernel (the local one) first: it answers without a network round trip, and its
        // results come before a remote one's.
        var names = byProvider.Keys.Union(_providers.Keys, StringComparer.Ordinal)
            .Where(n => filter is null || filter.Contains(n))
            .OrderBy(n => _providers.TryGetValue(n, out var p) && p.Capabilities.HasFlag(ProviderCapabilities.ProbesEachKernel) ? 0 : 1)
            .ThenBy(n => n, StringComparer.Ordinal)
            .ToList();

        var steps = new List<SyncStep>();
        var questions = new List<SyncQuestion>();
        var adopting = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var records = byProvider.TryGetValue(name, out var l) ? l : new List<KernelRecord>();
            if (!_providers.TryGetValue(name, out var provider))
                steps.AddRange(ProviderGone(name, records, options, questions));
            else
                steps.AddRange(await PlanProviderAsync(provider, records, executions, options, report, questions, adopting, cancellationToken).ConfigureAwait(false));
        }
        return new SyncPlan(options, steps, questions, pendingSessions);
    }

    /// <summary>Records of a provider that is no longer registered: no command can reach their kernels, so RemoveDead
    /// removes them (asked one by one, WhatIf reports); otherwise they are kept and the result says why.</summary>
    private static IEnumerable<SyncStep> ProviderGone(string name, List<KernelRecord> records, SyncOptions options, List<SyncQuestion> questions)
    {
        var why = $"provider '{name}' is not registered";
        foreach (var r in records)
        {
            if (!options.RemoveDead)
            {
                yield return new SyncStep
                {
                    Record = r, Target = SyncStep.TargetOf(r),
                    Planned = new StepOutcome(SyncStep.Result(r, SyncAction.Kept, $"{why}; record left unchanged (-RemoveDead removes it)", r.State)),
                };
                continue;
            }
            var step = new SyncStep
            {
                Record = r, Target = SyncStep.TargetOf(r), Question = "Remove the record of a kernel whose provider is not registered",
                Planned = new StepOutcome(SyncStep.Result(r, SyncAction.Removed, why, KernelState.Dead), new StoreWrite.Remove(r.Id, Forget: false)),
            };
            questions.Add(step);
            yield return step;
        }
    }

    /// <summary>One provider's records through the steps of <see cref="ProviderSyncPass"/>.</summary>
    private async Task<IReadOnlyList<SyncStep>> PlanProviderAsync(
        IKernelProvider provider, List<KernelRecord> records, Dictionary<string, List<ExecutionInFlight>> executions, SyncOptions options,
        ISyncObserver observer, List<SyncQuestion> questions, HashSet<string> adopting, CancellationToken ct)
    {
        var pass = new ProviderSyncPass(_store, provider, records, executions, options, observer, questions, adopting, Parallelism);
        if (!await pass.ListAsync(ct).ConfigureAwait(false)) return pass.Steps;
        await pass.RecoverStartsAsync(ct).ConfigureAwait(false);
        await pass.ObserveAsync(ct).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        await pass.DecideAsync(now, ct).ConfigureAwait(false);
        pass.PlanStarts();
        await pass.AdoptAsync(now, ct).ConfigureAwait(false);
        pass.FindStaleExecutions();
        return pass.Steps;
    }
}
