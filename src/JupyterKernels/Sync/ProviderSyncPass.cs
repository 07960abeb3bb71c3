using JupyterKernels.Providers;
using JupyterKernels.Store;

namespace JupyterKernels.Sync;

/// <summary>
/// One provider's part of a sync, in the order it runs: <see cref="ListAsync"/> what the provider reports,
/// <see cref="RecoverStartsAsync"/> records an interrupted start left Starting, <see cref="ObserveAsync"/> each
/// other record (from the listing, else a probe), <see cref="DecideAsync"/> per record (<see cref="ResolveStartsAsync"/>
/// for the interrupted starts),
/// <see cref="AdoptAsync"/> unknown remote kernels, <see cref="CullAsync"/> idle ones, and
/// <see cref="ApplyAsync"/> every store change in one transaction. Used once.
/// </summary>
internal sealed partial class ProviderSyncPass
{
    private readonly KernelStore _store;
    private readonly IKernelProvider _provider;
    private readonly List<KernelRecord> _records;
    private readonly Dictionary<string, List<ExecutionInFlight>> _executions;
    private readonly SyncOptions _options;
    private readonly Func<string, string, bool>? _shouldProcess;
    private readonly Action<KernelWarning>? _warning;
    private readonly int _parallelism;
    private readonly string _name;
    private readonly bool _isLocal;

    private ProviderKernelListing? _listing;
    private readonly Observation[] _observations;
    private readonly StartRecovery?[] _recoveries;
    private readonly SyncResult[] _results;
    private readonly List<KernelStore.KernelObservation> _updates = new();
    private readonly List<string> _removals = new();
    private readonly List<KernelRecord> _inserts = new();
    private readonly List<int> _cull = new();
    private readonly List<SyncResult> _adoptResults = new();

    private sealed record Observation(KernelLiveness Liveness, string Reason, KernelState? State, DateTimeOffset? LastActivity, int? Connections);

    public ProviderSyncPass(KernelStore store, IKernelProvider provider, List<KernelRecord> records, Dictionary<string, List<ExecutionInFlight>> executions,
        SyncOptions options, Func<string, string, bool>? shouldProcess, Action<KernelWarning>? warning, int parallelism)
    {
        _store = store;
        _provider = provider;
        _records = records;
        _executions = executions;
        _options = options;
        _shouldProcess = shouldProcess;
        _warning = warning;
        _parallelism = Math.Max(1, parallelism);
        _name = provider.Name;
        _isLocal = string.Equals(provider.Kind, "local", StringComparison.OrdinalIgnoreCase);
        _observations = new Observation[records.Count];
        _recoveries = new StartRecovery?[records.Count];
        _results = new SyncResult[records.Count];
    }

    /// <summary>The results: one per record, then one per kernel adopted (or declined).</summary>
    public IReadOnlyList<SyncResult> Results => _results.Concat(_adoptResults).ToList();

    internal static SyncResult Result(KernelRecord r, SyncAction action, string reason, KernelState state, bool whatIf = false) => new()
    {
        KernelId = r.Id, Provider = r.Provider, Action = action, Reason = reason, State = state, WhatIf = whatIf,
    };

    private static string Target(KernelRecord r) => $"kernel {r.Id} ({r.Provider})";

    private bool Confirm(KernelRecord r, string action) => _shouldProcess is null || _shouldProcess(Target(r), action);

    private static SyncResult NotConfirmed(KernelRecord r, string action) => Result(r, SyncAction.Kept, $"not confirmed: {action}", r.State);

    /// <summary>Under WhatIf the question is still asked, so the caller can say what would happen ("What if: ...",
    /// nothing is changed whatever the answer.</summary>
    private SyncResult WhatIf(KernelRecord r, string action, SyncResult result)
    {
        _shouldProcess?.Invoke(Target(r), action);
        return result;
    }

    /// <summary>1. The provider's listing (remote only). A provider that cannot be listed leaves its records
    /// unchanged: the results say so and the pass ends (returns false).</summary>
    public async Task<bool> ListAsync(SyncRunSummary summary, CancellationToken ct)
    {
        if (_isLocal) return true;
        try
        {
            _listing = await ListWithinBudgetAsync(_provider, _options, ct).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            var why = e is KernelException ke ? $"{ke.ErrorId}: {ke.Message}" : e.Message;
            // Reported once, by the caller, from the summary (SyncProviderFailed): not also as a warning.
            summary.AddFailedProvider(_name, why);
            for (var i = 0; i < _records.Count; i++)
                _results[i] = Result(_records[i], SyncAction.Failed, $"provider '{_name}' could not be listed ({why}); record left unchanged", _records[i].State);
            return false;
        }
    }

    /// <summary>
    /// 2a. Interrupted starts: a record still Starting is resolved by its provider (in progress, completed, or
    /// abandoned), never just probed — it may have no pid or connection info yet.
    /// </summary>
    public async Task RecoverStartsAsync(CancellationToken ct)
    {
        for (var i = 0; i < _records.Count; i++)
        {
            if (_records[i].State != KernelState.Starting) continue;
            try { _recoveries[i] = await _provider.RecoverStartAsync(_records[i], dryRun: true, ct).ConfigureAwait(false); }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                _recoveries[i] = new StartRecovery(StartRecoveryOutcome.InProgress, $"start state could not be resolved: {e.Message}; record left unchanged");
            }
        }
    }

    /// <summary>2b. An observation per other record: from the listing, else from a probe (probe failures are Unknown).</summary>
    public async Task ObserveAsync(CancellationToken ct)
    {
        var listed = new Dictionary<string, ProviderKernel>(StringComparer.Ordinal);
        if (_listing is not null)
            foreach (var k in _listing.Kernels) listed[k.RemoteId] = k;

        var toProbe = new List<int>();
        for (var i = 0; i < _records.Count; i++)
        {
            if (_recoveries[i] is not null) continue;
            var key = _records[i].RemoteId ?? _records[i].Id;
            if (listed.TryGetValue(key, out var pk))
                _observations[i] = new Observation(KernelLiveness.Alive, "listed by the provider", pk.State, pk.LastActivity, pk.Connections);
            else
                toProbe.Add(i);
        }
        var why0 = _isLocal ? "" : _listing!.Complete ? "not in the provider's listing; " : "provider does not allow listing; ";
        await Parallel.ForEachAsync(toProbe, new ParallelOptions { MaxDegreeOfParallelism = _parallelism, CancellationToken = ct },
            async (i, token) =>
            {
                try
                {
                    var p = await _provider.ProbeAsync(_records[i], token).ConfigureAwait(false);
                    _observations[i] = new Observation(p.Liveness, why0 + p.Reason, p.State, p.LastActivity, p.Connections);
                }
                catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
                {
                    _observations[i] = new Observation(KernelLiveness.Unknown, $"{why0}probe failed: {e.Message}", null, null, null);
                    _warning?.Invoke(new KernelWarning(ErrorIds.KernelProbeFailed, $"Probe of kernel {_records[i].Id} ({_name}) failed: {e.Message}"));
                }
            }).ConfigureAwait(false);
    }

    /// <summary>3. A decision per record. Only Gone (definite evidence) marks dead or removes; Unknown keeps.</summary>
    public async Task DecideAsync(DateTimeOffset now, CancellationToken ct)
    {
        for (var i = 0; i < _records.Count; i++)
        {
            if (_recoveries[i] is not null) continue; // ResolveStartsAsync
            var o = _observations[i];
            _results[i] = o.Liveness switch
            {
                KernelLiveness.Gone => DecideGone(_records[i], o),
                KernelLiveness.Unknown => Result(_records[i], SyncAction.Kept, "liveness unknown, record left unchanged: " + o.Reason, _records[i].State),
                _ => await DecideAliveAsync(i, o, now, ct).ConfigureAwait(false),
            };
        }
    }

    /// <summary>3a. Acts on each interrupted start: completes the record (Adopted), or stops what the start left and
    /// removes the record (Removed, through the batch), or keeps it while the start may still be in progress.</summary>
    public async Task ResolveStartsAsync(CancellationToken ct)
    {
        for (var i = 0; i < _records.Count; i++)
            if (_recoveries[i] is { } recovery)
                _results[i] = await ResolveStartAsync(_records[i], recovery, ct).ConfigureAwait(false);
    }

    private async Task<SyncResult> ResolveStartAsync(KernelRecord r, StartRecovery recovery, CancellationToken ct)
    {
        if (recovery.Outcome == StartRecoveryOutcome.InProgress) return Result(r, SyncAction.Kept, recovery.Reason, r.State);
        if (recovery.Outcome == StartRecoveryOutcome.Abandoned)
        {
            const string action = "Stop what an interrupted start left and remove its record";
            if (_options.WhatIf) return WhatIf(r, action, Result(r, SyncAction.Removed, recovery.Reason, KernelState.Dead, whatIf: true));
            if (!Confirm(r, action)) return NotConfirmed(r, action);
            recovery = await _provider.RecoverStartAsync(r, dryRun: false, ct).ConfigureAwait(false) ?? recovery;
            if (recovery.Outcome == StartRecoveryOutcome.Abandoned)
            {
                _removals.Add(r.Id);
                return Result(r, SyncAction.Removed, recovery.Reason, KernelState.Dead);
            }
            if (recovery.Outcome == StartRecoveryOutcome.InProgress) return Result(r, SyncAction.Kept, recovery.Reason, r.State);
        }
        // Completed: the kernel answers.
        const string adopt = "Complete the record of an interrupted start whose kernel answers";
        var completed = recovery.Completed!;
        if (_options.WhatIf) return WhatIf(r, adopt, Result(r, SyncAction.Adopted, recovery.Reason, completed.State, whatIf: true));
        if (!Confirm(r, adopt)) return NotConfirmed(r, adopt);
        return await _store.UpdateKernelAsync(completed, ct).ConfigureAwait(false)
            ? Result(r, SyncAction.Adopted, recovery.Reason, completed.State)
            : Result(r, SyncAction.Kept, "the record was removed by another process meanwhile", r.State);
    }

    private SyncResult DecideGone(KernelRecord r, Observation o)
    {
        if (_options.RemoveDead)
        {
            const string action = "Remove the record of a kernel that is gone";
            if (_options.WhatIf) return WhatIf(r, action, Result(r, SyncAction.Removed, o.Reason, KernelState.Dead, whatIf: true));
            if (!Confirm(r, action)) return NotConfirmed(r, action);
            _removals.Add(r.Id);
            return Result(r, SyncAction.Removed, o.Reason, KernelState.Dead);
        }
        if (r.State == KernelState.Dead)
            return Result(r, SyncAction.Kept, "already marked dead; " + o.Reason, KernelState.Dead);
        const string markDead = "Mark a kernel that is gone as dead";
        if (_options.WhatIf) return WhatIf(r, markDead, Result(r, SyncAction.MarkedDead, o.Reason, KernelState.Dead, whatIf: true));
        if (!Confirm(r, markDead)) return NotConfirmed(r, markDead);
        _updates.Add(new(r.Id, KernelState.Dead, null, null, null));
        return Result(r, SyncAction.MarkedDead, o.Reason, KernelState.Dead);
    }

    private async Task<SyncResult> DecideAliveAsync(int i, Observation o, DateTimeOffset now, CancellationToken ct)
    {
        var r = _records[i];
        // A transitional state is the command's that set it: a kernel alive under a Restarting record is one whose
        // restart ended without saying so (a refused or failed restart of an older version, a killed process).
        var state = o.State ?? (r.State is KernelState.Dead or KernelState.Stopped ? KernelState.Unknown
            : r.State is KernelState.Restarting ? KernelState.Idle : r.State);
        var activity = Latest(o.LastActivity, r.LastActivityAt);
        var conns = o.Connections ?? r.Connections;
        var changed = state != r.State || activity != r.LastActivityAt || conns != r.Connections;

        string? keptBy = null;
        if (_options.CullIdle is TimeSpan idle)
        {
            var since = activity ?? r.CreatedAt;
            keptBy = CullEvidence(idle, now, since, activity, state, conns);
            if (now - since > idle && (_options.IncludeConnected || (conns ?? 0) == 0))
            {
                var (verdict, evidence) = await CullEvidenceAsync(r, state, o, LiveExecutions(r.Id), ct).ConfigureAwait(false);
                if (verdict is not CullVerdict.Cull)
                {
                    if (!_options.WhatIf) _updates.Add(new KernelStore.KernelObservation(r.Id, state, now, activity, conns));
                    return Result(r, SyncAction.Kept, $"not culled: {evidence}", verdict is CullVerdict.KeepBusy ? KernelState.Busy : state);
                }
                var action = $"Shut down a kernel idle since {since:u}";
                var reason = $"idle since {since:u} (longer than {idle}); {evidence}";
                if (_options.WhatIf) return WhatIf(r, action, Result(r, SyncAction.Culled, reason, KernelState.Stopped, whatIf: true));
                if (Confirm(r, action))
                {
                    _cull.Add(i);
                    return Result(r, SyncAction.Culled, reason, KernelState.Stopped);
                }
                // not confirmed: fall through to the bookkeeping update
            }
        }
        if (!_options.WhatIf) _updates.Add(new KernelStore.KernelObservation(r.Id, state, now, activity, conns));
        var why = keptBy is null ? "" : "; not culled: " + keptBy;
        return changed
            ? Result(r, SyncAction.Updated, o.Reason + why, state, whatIf: _options.WhatIf)
            : Result(r, SyncAction.Kept, "alive: " + o.Reason + why, state);
    }

    /// <summary>4. Records for remote kernels the provider lists but the store does not know (with Adopt).</summary>
    public async Task AdoptAsync(DateTimeOffset now, CancellationToken ct)
    {
        if (_options.Adopt && _isLocal) await AdoptLocalAsync(ct).ConfigureAwait(false);
        if (!_options.Adopt || _listing is null) return;
        var known = new HashSet<string>(_records.Select(r => r.RemoteId ?? r.Id), StringComparer.Ordinal);
        foreach (var pk in _listing.Kernels)
        {
            if (known.Contains(pk.RemoteId)) continue;
            var id = await _store.GetKernelAsync(pk.RemoteId, ct).ConfigureAwait(false) is null ? pk.RemoteId : Guid.NewGuid().ToString();
            var rec = pk.ToAdoptedRecord(_name, id, now);
            const string action = "Adopt a kernel the provider runs but the store does not know";
            if (_options.WhatIf) _adoptResults.Add(WhatIf(rec, action, Result(rec, SyncAction.Adopted, "listed by the provider, not recorded", rec.State, whatIf: true)));
            else if (!Confirm(rec, action)) _adoptResults.Add(NotConfirmed(rec, action));
            else { _inserts.Add(rec); _adoptResults.Add(Result(rec, SyncAction.Adopted, "listed by the provider, not recorded", rec.State)); }
        }
    }

    /// <summary>4b. Local kernels of other Jupyter clients: connection files whose kernels answer (with Adopt).</summary>
    private async Task AdoptLocalAsync(CancellationToken ct)
    {
        var all = await _store.ListKernelsAsync(null, ct).ConfigureAwait(false);
        foreach (var rec in await _provider.FindAdoptableAsync(all, ct).ConfigureAwait(false))
        {
            var reason = $"connection file {_provider.Describe(rec).ConnectionFile} not recorded; its kernel answers kernel_info";
            const string action = "Adopt a kernel another Jupyter client started";
            if (_options.WhatIf) _adoptResults.Add(Result(rec, SyncAction.Adopted, reason, rec.State, whatIf: true));
            else if (!Confirm(rec, action)) _adoptResults.Add(NotConfirmed(rec, action));
            else { _inserts.Add(rec); _adoptResults.Add(Result(rec, SyncAction.Adopted, reason, rec.State)); }
        }
    }

    /// <summary>5b. Execution records whose owner process is gone are cleared and reported (the kernel may still run
    /// that cell: the cull decision asked the kernel itself).</summary>
    public async Task ClearStaleExecutionsAsync(CancellationToken ct)
    {
        var stale = new List<string>();
        for (var i = 0; i < _records.Count; i++)
        {
            if (!_executions.TryGetValue(_records[i].Id, out var rows)) continue;
            var gone = rows.Where(ExecutionOwners.IsStale).ToList();
            if (gone.Count == 0 || _results[i] is not { } res) continue;
            stale.AddRange(gone.Select(e => e.MsgId));
            var cleared = $"{(_options.WhatIf ? "would clear" : "cleared")} stale record of {string.Join(", ", gone.Select(ExecutionOwners.Describe))} (owner process gone); ";
            _results[i] = new SyncResult
            {
                KernelId = res.KernelId, Provider = res.Provider, State = res.State, WhatIf = res.WhatIf || (_options.WhatIf && res.Action == SyncAction.Kept),
                Action = res.Action == SyncAction.Kept ? SyncAction.Updated : res.Action,
                Reason = cleared + res.Reason,
            };
        }
        if (!_options.WhatIf && stale.Count > 0) await _store.RemoveExecutionsAsync(stale, ct).ConfigureAwait(false);
    }

    /// <summary>6. One transaction for the provider; results whose row another process changed meanwhile say so.</summary>
    public async Task ApplyAsync(CancellationToken ct)
    {
        if (_options.WhatIf || (_updates.Count == 0 && _inserts.Count == 0 && _removals.Count == 0)) return;
        var (updated, inserted, removed) = await _store.ApplySyncBatchAsync(_updates, _inserts, _removals, ct).ConfigureAwait(false);
        for (var i = 0; i < _results.Length; i++)
        {
            var res = _results[i];
            var gone = res.Action switch
            {
                SyncAction.Updated or SyncAction.MarkedDead => !updated.Contains(res.KernelId),
                SyncAction.Removed or SyncAction.Culled => !removed.Contains(res.KernelId),
                _ => false,
            };
            if (gone)
                _results[i] = Result(_records[i], SyncAction.Kept, "the record was removed by another process meanwhile", res.State);
            else if (res.Action == SyncAction.Removed)
                await _provider.ForgetAsync(_records[i], ct).ConfigureAwait(false);
        }
        for (var i = 0; i < _adoptResults.Count; i++)
            if (_adoptResults[i].Action == SyncAction.Adopted && !inserted.Contains(_adoptResults[i].KernelId))
                _adoptResults[i] = new SyncResult
                {
                    KernelId = _adoptResults[i].KernelId, Provider = _name, Action = SyncAction.Kept,
                    Reason = "already recorded by another process meanwhile", State = _adoptResults[i].State,
                };
    }

    private static DateTimeOffset? Latest(DateTimeOffset? a, DateTimeOffset? b) =>
        a is null ? b : b is null ? a : a > b ? a : b;
}
