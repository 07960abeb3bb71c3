using JupyterKernels.Providers;
using JupyterKernels.Store;

namespace JupyterKernels.Sync;

/// <summary>
/// Carries out a confirmed <see cref="SyncPlan"/>: first the provider actions it needs (stopping what interrupted
/// starts left, shutting down the kernels to cull), each of which may fail or find otherwise and records what it
/// came to on its step; then every store change of the sync in ONE transaction (start resolution, stale executions,
/// adopted kernels and their sessions, the record batch, pending session claims): all of it or, when the store fails,
/// none; then the providers forget what they kept for the records removed. Used once.
/// </summary>
internal sealed class SyncApplier
{
    private readonly KernelStore _store;
    private readonly SyncPlan _plan;
    private readonly ISyncObserver _observer;
    private readonly int _parallelism;

    public SyncApplier(KernelStore store, SyncPlan plan, ISyncObserver observer, int parallelism)
    {
        _store = store;
        _plan = plan;
        _observer = observer;
        _parallelism = Math.Max(1, parallelism);
    }

    public async Task<IReadOnlyList<SyncResult>> ApplyAsync(CancellationToken ct)
    {
        if (_plan.Options.WhatIf) return _plan.WhatIfResults;
        var steps = _plan.Steps;
        foreach (var s in steps) s.Done = s.Chosen;
        await StopAbandonedStartsAsync(steps, ct).ConfigureAwait(false);
        await KeepWhatStartedRunningAsync(steps, ct).ConfigureAwait(false);
        await ShutdownAsync(steps, ct).ConfigureAwait(false);

        var outcomes = _plan.Outcomes(s => s.Done!.Result);
        var sessions = _plan.Sessions.Select(s => s.Confirmed ? PendingSessionResolution.Recheck(s, outcomes) : s).ToList();
        var batch = Batch(steps, sessions);
        var written = batch.IsEmpty
            ? new SyncBatchOutcome(new(), new(), new(), new())
            : await _store.ApplySyncAsync(batch, ct).ConfigureAwait(false);

        var results = new List<SyncResult>(steps.Count + sessions.Count);
        foreach (var s in steps)
        {
            var done = s.Done!;
            var res = s.WithStale(done.Result, whatIf: false);
            if (done.Write is { } w && !Took(w, written) && res.Action != SyncAction.Kept)
                res = Meanwhile(s, w, res);
            else if (done.Write is StoreWrite.Remove { Forget: true } && s.Provider is IKeepsKernelFiles files)
                await files.ForgetAsync(s.Record, ct).ConfigureAwait(false);
            results.Add(res);
        }
        foreach (var s in sessions)
            if (s?.Applied(s.Bind ? written.Bound.Contains(s.Claim.Id) : true) is { } res) results.Add(res);
        return results;
    }

    /// <summary>The stop of an interrupted start checks once more: the kernel may answer after all (its record is
    /// completed), or its start may be in progress again (kept); otherwise what it left is stopped and the record goes.</summary>
    private static async Task StopAbandonedStartsAsync(IReadOnlyList<SyncStep> steps, CancellationToken ct)
    {
        foreach (var s in steps)
        {
            if (s.Done!.Action != ProviderAction.StopAbandonedStart) continue;
            var r = s.Record;
            var found = s.Provider is IRecoversStarts recovery ? await recovery.RecoverStartAsync(r, dryRun: false, ct).ConfigureAwait(false) : null;
            s.Done = found?.Outcome switch
            {
                StartRecoveryOutcome.InProgress => new StepOutcome(SyncStep.Result(r, SyncAction.Kept, found.Reason, r.State)),
                StartRecoveryOutcome.Completed => new StepOutcome(SyncStep.Result(r, SyncAction.Adopted, found.Reason, found.Completed!.State),
                    new StoreWrite.Complete(found.Completed)),
                StartRecoveryOutcome.Abandoned => s.Done with { Result = SyncStep.Result(r, SyncAction.Removed, found.Reason, KernelState.Dead) },
                _ => s.Done,
            };
        }
    }

    /// <summary>Running work is never culled: a process of ours that began an execution on a kernel since the plan
    /// looked keeps it (without IncludeBusy), as it would have at planning time.</summary>
    private async Task KeepWhatStartedRunningAsync(IReadOnlyList<SyncStep> steps, CancellationToken ct)
    {
        if (_plan.Options.IncludeBusy || !steps.Any(s => s.Done!.Action == ProviderAction.Shutdown)) return;
        var running = (await _store.ListExecutionsAsync(null, ct).ConfigureAwait(false))
            .Where(e => !ExecutionOwners.IsStale(e)).ToLookup(e => e.KernelId, StringComparer.Ordinal);
        foreach (var s in steps)
        {
            if (s.Done!.Action != ProviderAction.Shutdown || running[s.Record.Id].ToList() is not { Count: > 0 } live) continue;
            var what = $"busy: {ExecutionOwners.Describe(live[0])} is running" + (live.Count > 1 ? $" (and {live.Count - 1} more)" : "");
            s.Done = new StepOutcome(SyncStep.Result(s.Record, SyncAction.Kept, $"not culled: {what} (-IncludeBusy culls running work)", KernelState.Busy),
                s.Declined?.Write);
        }
    }

    /// <summary>Shuts down the kernels to cull; only those that went lose their record.</summary>
    private async Task ShutdownAsync(IReadOnlyList<SyncStep> steps, CancellationToken ct)
    {
        var cull = steps.Where(s => s.Done!.Action == ProviderAction.Shutdown).ToList();
        if (cull.Count == 0) return;
        await Parallel.ForEachAsync(cull, new ParallelOptions { MaxDegreeOfParallelism = _parallelism, CancellationToken = ct },
            async (s, token) =>
            {
                try { await s.Provider!.ShutdownAsync(s.Record, false, token).ConfigureAwait(false); }
                catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
                {
                    s.Done = new StepOutcome(SyncStep.Result(s.Record, SyncAction.Failed, $"cull: shutdown failed ({e.Message}); record kept", s.Observed));
                    _observer.Warning(new KernelWarning(ErrorIds.KernelShutdownFailed, $"Shutting down idle kernel {s.Record.Id} ({s.Record.Provider}) failed: {e.Message}"));
                }
            }).ConfigureAwait(false);
    }

    private static SyncBatch Batch(IReadOnlyList<SyncStep> steps, IReadOnlyList<PendingSessionStep?> sessions)
    {
        var writes = steps.Select(s => s.Done!.Write).ToList();
        return new SyncBatch
        {
            Observations = writes.OfType<StoreWrite.Observe>().Select(w => w.Observation).ToList(),
            Completions = writes.OfType<StoreWrite.Complete>().Select(w => w.Record).ToList(),
            Inserts = writes.OfType<StoreWrite.Insert>().Select(w => w.Record).ToList(),
            Sessions = steps.Where(s => s.Done!.Write is StoreWrite.Insert).SelectMany(s => s.Sessions.Select(ps => Session(ps, s.Record.Id)))
                .Where(ps => ps.Name.Length > 0).ToList(),
            Removals = writes.OfType<StoreWrite.Remove>().Select(w => w.Id).ToList(),
            StaleExecutions = steps.SelectMany(s => s.StaleExecutions.Select(e => e.MsgId)).ToList(),
            Binds = sessions.Where(s => s is { Confirmed: true, Bind: true }).Select(s => (s!.Claim, s.Kernel!.Id)).ToList(),
            Drops = sessions.Where(s => s is { Confirmed: true, Bind: false }).Select(s => s!.Claim).ToList(),
        };
    }

    private static AdoptedSession Session(ProviderSession s, string kernelId) =>
        new(s.Name.Length > 0 ? s.Name : s.Path, kernelId, s.Path, s.Type.Length > 0 ? s.Type : null);

    private static bool Took(StoreWrite w, SyncBatchOutcome written) => w switch
    {
        StoreWrite.Observe o => written.Updated.Contains(o.Observation.Id),
        StoreWrite.Complete c => written.Updated.Contains(c.Record.Id),
        StoreWrite.Insert i => written.Inserted.Contains(i.Record.Id),
        StoreWrite.Remove r => written.Removed.Contains(r.Id),
        _ => true,
    };

    /// <summary>A change another process made first: the record it would have changed is gone, or the kernel it would
    /// have adopted is recorded already.</summary>
    private static SyncResult Meanwhile(SyncStep s, StoreWrite w, SyncResult res) => w is StoreWrite.Insert
        ? new SyncResult { KernelId = res.KernelId, Provider = res.Provider, Action = SyncAction.Kept, Reason = "already recorded by another process meanwhile", State = res.State }
        : SyncStep.Result(s.Record, SyncAction.Kept, "the record was removed by another process meanwhile", w is StoreWrite.Complete || s.Provider is null ? s.Record.State : res.State);
}
