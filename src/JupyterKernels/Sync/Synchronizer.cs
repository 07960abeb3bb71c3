using System.Runtime.CompilerServices;
using JupyterKernels.Providers;
using JupyterKernels.Store;
using JupyterKernels.Service;

namespace JupyterKernels.Sync;

/// <summary>What one synchronizer run did overall; filled while the results are enumerated.</summary>
public sealed class SyncRunSummary
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
/// <see cref="SyncRunSummary.FailedProviders"/>, a warning is emitted, and each of its records is reported
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
/// <item>Records of providers not registered are Kept with the reason "provider X is not registered".</item>
/// <item>WhatIf: every change is reported with WhatIf=true and nothing is written or shut down.</item>
/// </list>
/// Cost is linear: one store read, one listing per provider, dictionary look-ups, probes with bounded parallelism,
/// and one write transaction per provider. Writes only touch the observed columns of rows that still exist, so a
/// record removed by another process meanwhile is not resurrected.
/// </summary>
public sealed class Synchronizer
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
    /// record as it is (reported Kept, "not confirmed"). Not asked for bookkeeping updates, nor under WhatIf.</param>
    /// <param name="warning">Receives one line per failed provider or failed probe.</param>
    public async IAsyncEnumerable<SyncResult> SynchronizeAsync(
        SyncOptions options,
        SyncRunSummary? summary = null,
        Func<string, string, bool>? shouldProcess = null,
        Action<string>? warning = null,
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

        var names = byProvider.Keys.Union(_providers.Keys, StringComparer.Ordinal)
            .Where(n => filter is null || filter.Contains(n))
            .OrderBy(n => n, StringComparer.Ordinal)
            .ToList();

        foreach (var name in names)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var records = byProvider.TryGetValue(name, out var l) ? l : new List<KernelRecord>();
            IReadOnlyList<SyncResult> results;
            if (!_providers.TryGetValue(name, out var provider))
            {
                results = records.Select(r => Result(r, SyncAction.Kept, $"provider '{name}' is not registered; record left unchanged", r.State)).ToList();
            }
            else
            {
                results = await SyncProviderAsync(provider, records, executions, options, summary, shouldProcess, warning, cancellationToken).ConfigureAwait(false);
            }
            foreach (var r in results)
            {
                summary.Count(r);
                yield return r;
            }
        }
    }

    private sealed record Observation(KernelLiveness Liveness, string Reason, KernelState? State, DateTimeOffset? LastActivity, int? Connections);

    private static SyncResult Result(KernelRecord r, SyncAction action, string reason, KernelState state, bool whatIf = false) => new()
    {
        KernelId = r.Id, Provider = r.Provider, Action = action, Reason = reason, State = state, WhatIf = whatIf,
    };

    private static string Target(KernelRecord r) => $"kernel {r.Id} ({r.Provider})";

    private async Task<IReadOnlyList<SyncResult>> SyncProviderAsync(
        IKernelProvider provider, List<KernelRecord> records, Dictionary<string, List<ExecutionInFlight>> executions, SyncOptions options, SyncRunSummary summary,
        Func<string, string, bool>? shouldProcess, Action<string>? warning, CancellationToken ct)
    {
        var name = provider.Name;
        var isLocal = string.Equals(provider.Kind, "local", StringComparison.OrdinalIgnoreCase);

        // 1. Listing (remote only).
        ProviderKernelListing? listing = null;
        if (!isLocal)
        {
            try
            {
                listing = await provider.ListKernelsAsync(ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                var why = e is KernelException ke ? $"{ke.ErrorId}: {ke.Message}" : e.Message;
                summary.AddFailedProvider(name, why);
                warning?.Invoke($"Provider '{name}' could not be listed ({why}); its {records.Count} record(s) were left unchanged.");
                return records.Select(r => Result(r, SyncAction.Failed, $"provider '{name}' could not be listed ({why}); record left unchanged", r.State)).ToList();
            }
        }

        var listed = new Dictionary<string, ProviderKernel>(StringComparer.Ordinal);
        if (listing is not null)
            foreach (var k in listing.Kernels) listed[k.RemoteId] = k;

        // 2. Observations: from the listing, else from a probe.
        var observations = new Observation[records.Count];
        var toProbe = new List<int>();
        for (var i = 0; i < records.Count; i++)
        {
            var key = records[i].RemoteId ?? records[i].Id;
            if (listed.TryGetValue(key, out var pk))
                observations[i] = new Observation(KernelLiveness.Alive, "listed by the provider", pk.State, pk.LastActivity, pk.Connections);
            else
                toProbe.Add(i);
        }
        var why0 = isLocal ? "" : listing!.Complete ? "not in the provider's listing; " : "provider does not allow listing; ";
        await Parallel.ForEachAsync(toProbe, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Parallelism), CancellationToken = ct },
            async (i, token) =>
            {
                try
                {
                    var p = await provider.ProbeAsync(records[i], token).ConfigureAwait(false);
                    observations[i] = new Observation(p.Liveness, why0 + p.Reason, p.State, p.LastActivity, p.Connections);
                }
                catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
                {
                    observations[i] = new Observation(KernelLiveness.Unknown, $"{why0}probe failed: {e.Message}", null, null, null);
                    warning?.Invoke($"Probe of kernel {records[i].Id} ({name}) failed: {e.Message}");
                }
            }).ConfigureAwait(false);

        // 3. Decide.
        var now = _time.GetUtcNow();
        var results = new SyncResult[records.Count];
        var updates = new List<KernelStore.KernelObservation>();
        var removals = new List<string>();
        var inserts = new List<KernelRecord>();
        var cull = new List<int>();
        bool Confirm(KernelRecord r, string action) => shouldProcess is null || shouldProcess(Target(r), action);
        SyncResult NotConfirmed(KernelRecord r, string action) => Result(r, SyncAction.Kept, $"not confirmed: {action}", r.State);

        for (var i = 0; i < records.Count; i++)
        {
            var r = records[i];
            var o = observations[i];
            switch (o.Liveness)
            {
                case KernelLiveness.Gone:
                    if (options.RemoveDead)
                    {
                        const string action = "Remove the record of a kernel that is gone";
                        if (options.WhatIf) results[i] = Result(r, SyncAction.Removed, o.Reason, KernelState.Dead, whatIf: true);
                        else if (!Confirm(r, action)) results[i] = NotConfirmed(r, action);
                        else { results[i] = Result(r, SyncAction.Removed, o.Reason, KernelState.Dead); removals.Add(r.Id); }
                    }
                    else if (r.State == KernelState.Dead)
                    {
                        results[i] = Result(r, SyncAction.Kept, "already marked dead; " + o.Reason, KernelState.Dead);
                    }
                    else
                    {
                        const string action = "Mark a kernel that is gone as dead";
                        if (options.WhatIf) results[i] = Result(r, SyncAction.MarkedDead, o.Reason, KernelState.Dead, whatIf: true);
                        else if (!Confirm(r, action)) results[i] = NotConfirmed(r, action);
                        else
                        {
                            results[i] = Result(r, SyncAction.MarkedDead, o.Reason, KernelState.Dead);
                            updates.Add(new(r.Id, KernelState.Dead, null, null, null));
                        }
                    }
                    break;

                case KernelLiveness.Unknown:
                    results[i] = Result(r, SyncAction.Kept, "liveness unknown, record left unchanged: " + o.Reason, r.State);
                    break;

                default: // Alive
                {
                    var state = o.State ?? (r.State is KernelState.Dead or KernelState.Stopped ? KernelState.Unknown : r.State);
                    var activity = Latest(o.LastActivity, r.LastActivityAt);
                    var conns = o.Connections ?? r.Connections;
                    var changed = state != r.State || activity != r.LastActivityAt || conns != r.Connections;

                    if (options.CullIdle is TimeSpan idle)
                    {
                        var since = activity ?? r.CreatedAt;
                        if (now - since > idle && (options.IncludeConnected || (conns ?? 0) == 0))
                        {
                            var running = LiveExecutions(executions, r.Id);
                            var (verdict, evidence) = await CullEvidenceAsync(provider, isLocal, r, state, o, running, options.IncludeBusy, ct).ConfigureAwait(false);
                            if (verdict is not CullVerdict.Cull)
                            {
                                results[i] = Result(r, SyncAction.Kept, $"not culled: {evidence}", verdict is CullVerdict.KeepBusy ? KernelState.Busy : state);
                                if (!options.WhatIf) updates.Add(new KernelStore.KernelObservation(r.Id, state, now, activity, conns));
                                break;
                            }
                            var action = $"Shut down a kernel idle since {since:u}";
                            var reason = $"idle since {since:u} (longer than {idle}); {evidence}";
                            if (options.WhatIf) { results[i] = Result(r, SyncAction.Culled, reason, KernelState.Stopped, whatIf: true); break; }
                            if (Confirm(r, action)) { results[i] = Result(r, SyncAction.Culled, reason, KernelState.Stopped); cull.Add(i); break; }
                            // not confirmed: fall through to the bookkeeping update
                        }
                    }
                    var upd = new KernelStore.KernelObservation(r.Id, state, now, activity, conns);
                    if (changed)
                    {
                        results[i] = Result(r, SyncAction.Updated, o.Reason, state, whatIf: options.WhatIf);
                    }
                    else
                    {
                        results[i] = Result(r, SyncAction.Kept, "alive: " + o.Reason, state);
                    }
                    if (!options.WhatIf) updates.Add(upd);
                    break;
                }
            }
        }

        // 4. Adopt unknown remote kernels.
        var adoptResults = new List<SyncResult>();
        if (options.Adopt && listing is not null)
        {
            var known = new HashSet<string>(records.Select(r => r.RemoteId ?? r.Id), StringComparer.Ordinal);
            foreach (var pk in listing.Kernels)
            {
                if (known.Contains(pk.RemoteId)) continue;
                var id = await _store.GetKernelAsync(pk.RemoteId, ct).ConfigureAwait(false) is null ? pk.RemoteId : Guid.NewGuid().ToString();
                var rec = new KernelRecord
                {
                    Id = id,
                    Provider = name,
                    RemoteId = pk.RemoteId,
                    SpecName = pk.SpecName.StartsWith(name + "/", StringComparison.Ordinal) ? pk.SpecName : $"{name}/{pk.SpecName}",
                    DisplayName = pk.SpecName,
                    CreatedAt = now,
                    LastSeenAt = now,
                    LastActivityAt = pk.LastActivity,
                    State = pk.State,
                    Connections = pk.Connections,
                    InterruptMode = "message",
                };
                const string action = "Adopt a kernel the provider runs but the store does not know";
                if (options.WhatIf) adoptResults.Add(Result(rec, SyncAction.Adopted, "listed by the provider, not recorded", rec.State, whatIf: true));
                else if (!Confirm(rec, action)) adoptResults.Add(NotConfirmed(rec, action));
                else { inserts.Add(rec); adoptResults.Add(Result(rec, SyncAction.Adopted, "listed by the provider, not recorded", rec.State)); }
            }
        }

        // 4b. Adopt local kernels of other Jupyter clients (connection files whose kernels answer).
        if (options.Adopt && isLocal)
        {
            var all = await _store.ListKernelsAsync(null, ct).ConfigureAwait(false);
            foreach (var rec in await provider.FindAdoptableAsync(all, ct).ConfigureAwait(false))
            {
                var reason = $"connection file {rec.ConnectionFile} not recorded; its kernel answers kernel_info";
                const string action = "Adopt a kernel another Jupyter client started";
                if (options.WhatIf) adoptResults.Add(Result(rec, SyncAction.Adopted, reason, rec.State, whatIf: true));
                else if (!Confirm(rec, action)) adoptResults.Add(NotConfirmed(rec, action));
                else { inserts.Add(rec); adoptResults.Add(Result(rec, SyncAction.Adopted, reason, rec.State)); }
            }
        }

        // 5. Cull (side effects first, then the records go in the batch).
        if (cull.Count > 0)
        {
            var failed = new string?[records.Count];
            await Parallel.ForEachAsync(cull, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Parallelism), CancellationToken = ct },
                async (i, token) =>
                {
                    try { await provider.ShutdownAsync(records[i], false, token).ConfigureAwait(false); }
                    catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested) { failed[i] = e.Message; }
                }).ConfigureAwait(false);
            foreach (var i in cull)
            {
                var r = records[i];
                if (failed[i] is string msg)
                {
                    results[i] = Result(r, SyncAction.Failed, $"cull: shutdown failed ({msg}); record kept", observations[i].State ?? r.State);
                    warning?.Invoke($"Shutting down idle kernel {r.Id} ({name}) failed: {msg}");
                }
                else
                {
                    removals.Add(r.Id);
                }
            }
        }

        // 5b. Execution records whose owner process is gone: cleared (the kernel may still be running that cell; a
        //     cull asks the kernel itself before stopping it).
        var stale = new List<string>();
        for (var i = 0; i < records.Count; i++)
        {
            if (!executions.TryGetValue(records[i].Id, out var rows)) continue;
            var gone = rows.Where(ExecutionOwners.IsStale).ToList();
            if (gone.Count == 0) continue;
            stale.AddRange(gone.Select(e => e.MsgId));
            var res = results[i];
            var cleared = $"{(options.WhatIf ? "would clear" : "cleared")} stale record of {string.Join(", ", gone.Select(ExecutionOwners.Describe))} (owner process gone); ";
            results[i] = new SyncResult
            {
                KernelId = res.KernelId, Provider = res.Provider, State = res.State, WhatIf = res.WhatIf || (options.WhatIf && res.Action == SyncAction.Kept),
                Action = res.Action == SyncAction.Kept ? SyncAction.Updated : res.Action,
                Reason = cleared + res.Reason,
            };
        }
        if (!options.WhatIf && stale.Count > 0) await _store.RemoveExecutionsAsync(stale, ct).ConfigureAwait(false);

        // 6. One transaction for the provider.
        if (!options.WhatIf && (updates.Count > 0 || inserts.Count > 0 || removals.Count > 0))
        {
            var (updated, inserted, removed) = await _store.ApplySyncBatchAsync(updates, inserts, removals, ct).ConfigureAwait(false);
            for (var i = 0; i < results.Length; i++)
            {
                var res = results[i];
                var gone = res.Action switch
                {
                    SyncAction.Updated or SyncAction.MarkedDead => !updated.Contains(res.KernelId),
                    SyncAction.Removed or SyncAction.Culled => !removed.Contains(res.KernelId),
                    _ => false,
                };
                if (gone)
                    results[i] = Result(records[i], SyncAction.Kept, "the record was removed by another process meanwhile", res.State);
            }
            for (var i = 0; i < adoptResults.Count; i++)
                if (adoptResults[i].Action == SyncAction.Adopted && !inserted.Contains(adoptResults[i].KernelId))
                    adoptResults[i] = new SyncResult
                    {
                        KernelId = adoptResults[i].KernelId, Provider = name, Action = SyncAction.Kept,
                        Reason = "already recorded by another process meanwhile", State = adoptResults[i].State,
                    };
        }

        return results.Concat(adoptResults).ToList();
    }

    private enum CullVerdict { Cull, KeepBusy, KeepUnknown }

    private static List<ExecutionInFlight> LiveExecutions(Dictionary<string, List<ExecutionInFlight>> executions, string kernelId)
        => executions.TryGetValue(kernelId, out var rows) ? rows.Where(e => !ExecutionOwners.IsStale(e)).ToList() : new List<ExecutionInFlight>();

    /// <summary>
    /// Whether an idle-looking kernel may be culled, and the evidence. Running work is never culled without
    /// IncludeBusy: an execution recorded by a live process of ours, a busy state reported by the provider, or (local
    /// kernels, which may be driven by other Jupyter clients) the kernel's own answer to the activity probe. A kernel
    /// whose activity cannot be established is kept.
    /// </summary>
    private static async Task<(CullVerdict, string)> CullEvidenceAsync(IKernelProvider provider, bool isLocal, KernelRecord r, KernelState state,
        Observation o, List<ExecutionInFlight> running, bool includeBusy, CancellationToken ct)
    {
        if (running.Count > 0)
        {
            var what = $"busy: {ExecutionOwners.Describe(running[0])} is running" + (running.Count > 1 ? $" (and {running.Count - 1} more)" : "");
            return includeBusy ? (CullVerdict.Cull, what + "; culled because -IncludeBusy") : (CullVerdict.KeepBusy, what + " (-IncludeBusy culls running work)");
        }
        if (state == KernelState.Busy)
        {
            var what = $"busy per the provider ({o.Reason})";
            return includeBusy ? (CullVerdict.Cull, what + "; culled because -IncludeBusy") : (CullVerdict.KeepBusy, what + " (-IncludeBusy culls running work)");
        }
        if (includeBusy) return (CullVerdict.Cull, "no execution recorded; -IncludeBusy: not asked whether it runs code");
        if (!isLocal) return (CullVerdict.Cull, $"no execution recorded; the provider reports it {state.ToString().ToLowerInvariant()}");
        KernelActivityProbe probe;
        try { probe = await provider.ProbeActivityAsync(r, ct).ConfigureAwait(false); }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            probe = new KernelActivityProbe(KernelActivity.Unknown, $"activity probe failed: {e.Message}");
        }
        return probe.Activity switch
        {
            KernelActivity.Idle => (CullVerdict.Cull, $"no execution recorded; {probe.Evidence}"),
            KernelActivity.Busy => (CullVerdict.KeepBusy, $"busy: {probe.Evidence} (-IncludeBusy culls running work)"),
            _ => (CullVerdict.KeepUnknown, $"its activity cannot be established: {probe.Evidence}"),
        };
    }

    private static DateTimeOffset? Latest(DateTimeOffset? a, DateTimeOffset? b) =>
        a is null ? b : b is null ? a : a > b ? a : b;
}
