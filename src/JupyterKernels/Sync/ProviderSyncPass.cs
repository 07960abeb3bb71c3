using JupyterKernels.Providers;
using JupyterKernels.Store;

namespace JupyterKernels.Sync;

/// <summary>
/// One provider's part of a sync's plan, in the order it runs: <see cref="ListAsync"/> what the provider reports,
/// <see cref="RecoverStartsAsync"/> records an interrupted start left Starting, <see cref="ObserveAsync"/> each
/// other record (from the listing, else a probe), <see cref="DecideAsync"/> per record (<see cref="PlanStarts"/>
/// for the interrupted starts), <see cref="AdoptAsync"/> unknown kernels, and <see cref="FindStaleExecutions"/>.
/// It only reads (the store, the provider's listing and probes): every change is a <see cref="SyncStep"/> that
/// <see cref="SyncApplier"/> carries out. Used once.
/// </summary>
internal sealed partial class ProviderSyncPass
{
    private readonly KernelStore _store;
    private readonly IKernelProvider _provider;
    private readonly List<KernelRecord> _records;
    private readonly Dictionary<string, List<ExecutionInFlight>> _executions;
    private readonly SyncOptions _options;
    private readonly ISyncObserver _observer;
    private readonly List<SyncQuestion> _decisions;
    private readonly HashSet<string> _adopting;
    private readonly int _parallelism;
    private readonly string _name;
    private readonly ProviderCapabilities _can;

    private ProviderKernelListing? _listing;
    private readonly Observation[] _observations;
    private readonly StartRecovery?[] _recoveries;
    private readonly SyncStep[] _steps;
    private readonly List<SyncStep> _adoptions = new();

    private sealed record Observation(KernelLiveness Liveness, string Reason, KernelState? State, DateTimeOffset? LastActivity, int? Connections);

    /// <param name="decisions">Each step that asks a question is added here as it is decided: the order in which
    /// the user is asked (and "What if:" lines are printed).</param>
    /// <param name="adopting">The ids of the records the plan inserts, over all providers: an adopted kernel's record
    /// takes its remote id unless the store or this plan already has that id.</param>
    public ProviderSyncPass(KernelStore store, IKernelProvider provider, List<KernelRecord> records, Dictionary<string, List<ExecutionInFlight>> executions,
        SyncOptions options, ISyncObserver observer, List<SyncQuestion> decisions, HashSet<string> adopting, int parallelism)
    {
        _store = store;
        _provider = provider;
        _records = records;
        _executions = executions;
        _options = options;
        _observer = observer;
        _decisions = decisions;
        _adopting = adopting;
        _parallelism = Math.Max(1, parallelism);
        _name = provider.Name;
        _can = provider.Capabilities;
        _observations = new Observation[records.Count];
        _recoveries = new StartRecovery?[records.Count];
        _steps = new SyncStep[records.Count];
    }

    /// <summary>The steps: one per record, then one per kernel to adopt.</summary>
    public IReadOnlyList<SyncStep> Steps => _steps.Concat(_adoptions).ToList();

    private static SyncResult Result(KernelRecord r, SyncAction action, string reason, KernelState state) => SyncStep.Result(r, action, reason, state);

    private SyncStep Step(KernelRecord r, StepOutcome planned, string? question = null, StepOutcome? declined = null, KernelState? observed = null)
    {
        var step = new SyncStep
        {
            Record = r, Provider = _provider, Target = SyncStep.TargetOf(r), Question = question, Planned = planned, Declined = declined,
            Observed = observed ?? r.State,
        };
        if (question is not null) _decisions.Add(step);
        return step;
    }

    private SyncStep Kept(KernelRecord r, string reason, KernelState state) => Step(r, new StepOutcome(Result(r, SyncAction.Kept, reason, state)));

    /// <summary>1. The provider's listing (not for a provider that probes each kernel). A provider that cannot be listed
    /// leaves its records unchanged: the results say so, the observer hears it once, and the pass ends (returns false).</summary>
    public async Task<bool> ListAsync(CancellationToken ct)
    {
        if (_can.HasFlag(ProviderCapabilities.ProbesEachKernel)) return true;
        try
        {
            _listing = await ListWithinBudgetAsync(_provider, _options, _observer, ct).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            var why = SyncObserver.Reason(e);
            _observer.ProviderFailed(SyncObserver.Unsynced(_name, why, e));
            for (var i = 0; i < _records.Count; i++)
                _steps[i] = Step(_records[i], new StepOutcome(Result(_records[i], SyncAction.Failed,
                    $"provider '{_name}' could not be listed ({why}); record left unchanged", _records[i].State)));
            return false;
        }
    }

    /// <summary>
    /// 2a. Interrupted starts: a record still Starting is resolved by a provider that recovers starts (in progress,
    /// completed, or abandoned), never just probed — it may have no pid or connection info yet. Asked as a dry run: nothing stops.
    /// </summary>
    public async Task RecoverStartsAsync(CancellationToken ct)
    {
        if (_provider is not IRecoversStarts recovery) return;
        for (var i = 0; i < _records.Count; i++)
        {
            if (_records[i].State != KernelState.Starting) continue;
            try { _recoveries[i] = await recovery.RecoverStartAsync(_records[i], dryRun: true, ct).ConfigureAwait(false); }
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
        var why0 = _listing is null ? "" : _listing!.Complete ? "not in the provider's listing; " : "provider does not allow listing; ";
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
                    _observer.Warning(new KernelWarning(ErrorIds.KernelProbeFailed, $"Probe of kernel {_records[i].Id} ({_name}) failed: {e.Message}"));
                }
            }).ConfigureAwait(false);
    }

    /// <summary>3. A decision per record. Only Gone (definite evidence) marks dead or removes; Unknown keeps.</summary>
    public async Task DecideAsync(DateTimeOffset now, CancellationToken ct)
    {
        for (var i = 0; i < _records.Count; i++)
        {
            if (_recoveries[i] is not null) continue; // PlanStarts
            var o = _observations[i];
            _steps[i] = o.Liveness switch
            {
                KernelLiveness.Gone => DecideGone(_records[i], o),
                KernelLiveness.Unknown => Kept(_records[i], "liveness unknown, record left unchanged: " + o.Reason, _records[i].State),
                _ => await DecideAliveAsync(i, o, now, ct).ConfigureAwait(false),
            };
        }
    }

    /// <summary>3a. Each interrupted start: complete the record (Adopted), stop what the start left and remove the
    /// record (Removed; what the stop finds decides), or keep it while the start may still be in progress.</summary>
    public void PlanStarts()
    {
        for (var i = 0; i < _records.Count; i++)
        {
            if (_recoveries[i] is not { } recovery) continue;
            var r = _records[i];
            _steps[i] = recovery.Outcome switch
            {
                StartRecoveryOutcome.Abandoned => Step(r,
                    new StepOutcome(Result(r, SyncAction.Removed, recovery.Reason, KernelState.Dead), new StoreWrite.Remove(r.Id, Forget: true),
                        ProviderAction.StopAbandonedStart),
                    "Stop what an interrupted start left and remove its record"),
                StartRecoveryOutcome.Completed => Step(r,
                    new StepOutcome(Result(r, SyncAction.Adopted, recovery.Reason, recovery.Completed!.State), new StoreWrite.Complete(recovery.Completed)),
                    "Complete the record of an interrupted start whose kernel answers"),
                _ => Kept(r, recovery.Reason, r.State),
            };
        }
    }

    private SyncStep DecideGone(KernelRecord r, Observation o)
    {
        if (_options.RemoveDead)
            return Step(r, new StepOutcome(Result(r, SyncAction.Removed, o.Reason, KernelState.Dead), new StoreWrite.Remove(r.Id, Forget: true)),
                "Remove the record of a kernel that is gone");
        if (r.State == KernelState.Dead)
            return Kept(r, "already marked dead; " + o.Reason, KernelState.Dead);
        return Step(r, new StepOutcome(Result(r, SyncAction.MarkedDead, o.Reason, KernelState.Dead),
            new StoreWrite.Observe(new KernelStore.KernelObservation(r.Id, KernelState.Dead, null, null, null))), "Mark a kernel that is gone as dead");
    }

    private async Task<SyncStep> DecideAliveAsync(int i, Observation o, DateTimeOffset now, CancellationToken ct)
    {
        var r = _records[i];
        // A transitional state is the command's that set it: a kernel alive under a Restarting record is one whose
        // restart ended without saying so (a refused or failed restart of an older version, a killed process).
        var state = o.State ?? (r.State is KernelState.Dead or KernelState.Stopped ? KernelState.Unknown
            : r.State is KernelState.Restarting ? KernelState.Idle : r.State);
        var activity = Latest(o.LastActivity, r.LastActivityAt);
        var conns = o.Connections ?? r.Connections;
        var changed = state != r.State || activity != r.LastActivityAt || conns != r.Connections;
        var seen = new StoreWrite.Observe(new KernelStore.KernelObservation(r.Id, state, now, activity, conns));

        string? keptBy = null;
        if (_options.CullIdle is TimeSpan && state == KernelState.Starting)
        {
            // Idle only once ready: a slow start is no idleness, and a kernel that has not answered yet cannot be idle.
            keptBy = "still starting";
        }
        else if (_options.CullIdle is TimeSpan idle)
        {
            // Idle since its last activity; a start records its readiness as the first (records that predate that: since created).
            var since = activity ?? r.CreatedAt;
            keptBy = CullEvidence(idle, now, since, activity, state, conns);
            if (now - since > idle && (_options.IncludeConnected || (conns ?? 0) == 0))
            {
                var (verdict, evidence) = await CullEvidenceAsync(r, state, o, LiveExecutions(r.Id), ct).ConfigureAwait(false);
                if (verdict is not CullVerdict.Cull)
                    return Step(r, new StepOutcome(Result(r, SyncAction.Kept, $"not culled: {evidence}", verdict is CullVerdict.KeepBusy ? KernelState.Busy : state), seen));
                // Declined: the bookkeeping update, as for a kernel nobody asked to cull.
                return Step(r, new StepOutcome(Result(r, SyncAction.Culled, $"idle since {since:u} (longer than {idle}); {evidence}", KernelState.Stopped),
                        new StoreWrite.Remove(r.Id, Forget: false), ProviderAction.Shutdown),
                    $"Shut down a kernel idle since {since:u}", Alive(r, o, state, changed, null, seen), observed: o.State ?? r.State);
            }
        }
        return Step(r, Alive(r, o, state, changed, keptBy, seen));
    }

    private static StepOutcome Alive(KernelRecord r, Observation o, KernelState state, bool changed, string? keptBy, StoreWrite seen)
    {
        var why = keptBy is null ? "" : "; not culled: " + keptBy;
        return new StepOutcome(changed
            ? Result(r, SyncAction.Updated, o.Reason + why, state)
            : Result(r, SyncAction.Kept, "alive: " + o.Reason + why, state), seen);
    }

    /// <summary>4. Records for kernels the provider runs but the store does not know (with Adopt), with their sessions
    /// on the server (Get-KernelSession shows them).</summary>
    public async Task AdoptAsync(DateTimeOffset now, CancellationToken ct)
    {
        if (!_options.Adopt) return;
        if (_provider is IAdoptsConnectionFiles files)
        {
            var all = await _store.ListKernelsAsync(null, ct).ConfigureAwait(false);
            foreach (var rec in await files.FindAdoptableAsync(all, ct).ConfigureAwait(false))
                Adopt(rec, $"connection file {_provider.Describe(rec).ConnectionFile} not recorded; its kernel answers kernel_info",
                    "Adopt a kernel another Jupyter client started");
        }
        if (_listing is not null)
        {
            var known = new HashSet<string>(_records.Select(r => r.RemoteId ?? r.Id), StringComparer.Ordinal);
            foreach (var pk in _listing.Kernels)
            {
                if (known.Contains(pk.RemoteId)) continue;
                var free = !_adopting.Contains(pk.RemoteId) && await _store.GetKernelAsync(pk.RemoteId, ct).ConfigureAwait(false) is null;
                var id = free ? pk.RemoteId : Guid.NewGuid().ToString();
                Adopt(pk.ToAdoptedRecord(_name, id, now), "listed by the provider, not recorded", "Adopt a kernel the provider runs but the store does not know");
            }
        }
        if (_adoptions.Count == 0 || _provider is not IKeepsSessions keeps) return;
        IReadOnlyList<ProviderSession> sessions;
        try { sessions = await keeps.ListSessionsAsync(ct).ConfigureAwait(false); }
        catch (KernelException) { return; } // the kernels are adopted; their sessions can come in on the next run
        foreach (var step in _adoptions)
            step.Sessions = sessions.Where(s => s.Kernel.RemoteId == (step.Record.RemoteId ?? step.Record.Id)).ToList();
    }

    private void Adopt(KernelRecord rec, string reason, string question)
    {
        _adopting.Add(rec.Id);
        _adoptions.Add(Step(rec, new StepOutcome(Result(rec, SyncAction.Adopted, reason, rec.State), new StoreWrite.Insert(rec)), question));
    }

    /// <summary>5. Execution records whose owner process is gone are cleared with their record's step (the kernel may
    /// still run that cell: the cull decision asked the kernel itself).</summary>
    public void FindStaleExecutions()
    {
        for (var i = 0; i < _records.Count; i++)
            if (_executions.TryGetValue(_records[i].Id, out var rows) && rows.Where(ExecutionOwners.IsStale).ToList() is { Count: > 0 } gone)
                _steps[i].StaleExecutions = gone;
    }

    private static DateTimeOffset? Latest(DateTimeOffset? a, DateTimeOffset? b) =>
        a is null ? b : b is null ? a : a > b ? a : b;
}
