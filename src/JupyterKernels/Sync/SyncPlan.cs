namespace JupyterKernels.Sync;

/// <summary>
/// What one sync decided, before anything changes: a step per record and per kernel to adopt (provider by provider,
/// the local one first), then one per pending session claim to resolve. <see cref="Confirm"/> asks the user about each
/// change; under WhatIf the plan is the answer (<see cref="WhatIfResults"/>), otherwise <see cref="SyncApplier"/> carries
/// it out: the confirmed provider actions, then one store transaction.
/// </summary>
internal sealed class SyncPlan
{
    private readonly List<SyncQuestion> _questions;
    private readonly PendingSessionResolution _pending;
    private IReadOnlyList<PendingSessionStep>? _sessions;

    public SyncPlan(SyncOptions options, IReadOnlyList<SyncStep> steps, List<SyncQuestion> questions, PendingSessionResolution pending)
    {
        Options = options;
        Steps = steps;
        _questions = questions;
        _pending = pending;
    }

    public SyncOptions Options { get; }

    /// <summary>The steps in the order of their results.</summary>
    public IReadOnlyList<SyncStep> Steps { get; }

    /// <summary>The pending session claims to resolve (known once <see cref="Confirm"/> has run: they follow what the
    /// confirmed steps come to).</summary>
    public IReadOnlyList<PendingSessionStep> Sessions => _sessions ?? throw new InvalidOperationException("The plan is not confirmed yet.");

    /// <summary>Every step that asks, in the order asked (the order they were decided).</summary>
    public IReadOnlyList<SyncQuestion> Questions => _questions;

    /// <summary>
    /// Asks (target, action) for every change, in the order decided; false keeps that record as it is. Under WhatIf
    /// every question is asked too (the caller prints "What if: ..."), and the answer changes nothing. Then plans the
    /// pending session claims from what the steps come to, and asks about those.
    /// </summary>
    public void Confirm(Func<string, string, bool>? shouldProcess)
    {
        foreach (var q in _questions.ToList()) Ask(q, shouldProcess);
        _sessions = _pending.Plan(Outcomes(Options.WhatIf ? s => s.WhatIfResult : s => s.Chosen.Result), Options);
        foreach (var s in _sessions)
        {
            _questions.Add(s);
            Ask(s, shouldProcess);
        }
    }

    private static void Ask(SyncQuestion q, Func<string, string, bool>? shouldProcess) =>
        q.Confirmed = q.Question is null || shouldProcess is null || shouldProcess(q.Target, q.Question);

    /// <summary>What each kernel's step comes to, by kernel id.</summary>
    public IReadOnlyDictionary<string, SyncResult> Outcomes(Func<SyncStep, SyncResult> result)
    {
        var outcomes = new Dictionary<string, SyncResult>(StringComparer.Ordinal);
        foreach (var s in Steps) outcomes[s.Record.Id] = result(s);
        return outcomes;
    }

    /// <summary>The results of <c>-WhatIf</c>: the plan itself, each change marked as what would happen.</summary>
    public IReadOnlyList<SyncResult> WhatIfResults =>
        Steps.Select(s => s.WhatIfResult).Concat(Sessions.Select(s => s.WhatIfResult)).ToList();
}
