using JupyterKernels.Providers;
using JupyterKernels.Store;

namespace JupyterKernels.Sync;

/// <summary>What applying a step asks of the provider before the store is written.</summary>
internal enum ProviderAction
{
    None,
    /// <summary>Shut the kernel down (a cull); only a kernel that went loses its record.</summary>
    Shutdown,
    /// <summary>Stop what an interrupted start left (<see cref="IRecoversStarts.RecoverStartAsync"/> for real); what
    /// it finds decides the record's fate.</summary>
    StopAbandonedStart,
}

/// <summary>One change to the store, as part of the sync's one transaction.</summary>
internal abstract record StoreWrite
{
    /// <summary>The observed fields of an existing record (state, times, connections).</summary>
    public sealed record Observe(KernelStore.KernelObservation Observation) : StoreWrite;
    /// <summary>Every field of an existing record: an interrupted start completed.</summary>
    public sealed record Complete(KernelRecord Record) : StoreWrite;
    /// <summary>A new record: an adopted kernel (and its server sessions).</summary>
    public sealed record Insert(KernelRecord Record) : StoreWrite;
    /// <summary>The record goes; <paramref name="Forget"/>: the provider then deletes what it kept for it (files).</summary>
    public sealed record Remove(string Id, bool Forget) : StoreWrite;
}

/// <summary>What a step comes to: its result, the store change it makes, and the provider action first.</summary>
internal sealed record StepOutcome(SyncResult Result, StoreWrite? Write = null, ProviderAction Action = ProviderAction.None);

/// <summary>A change a sync asks the user about (ShouldProcess: target and action); <see cref="Question"/> null is
/// bookkeeping, never asked.</summary>
internal abstract class SyncQuestion
{
    public required string Target { get; init; }
    public string? Question { get; init; }
    /// <summary>The answer (true until asked).</summary>
    public bool Confirmed { get; set; } = true;
}

/// <summary>
/// The plan for one record (or one kernel to adopt): what was observed and decided, the question to ask, and what
/// the step comes to when confirmed (<see cref="Planned"/>) or declined (<see cref="Declined"/>). Decided without side
/// effects; <see cref="SyncApplier"/> carries it out.
/// </summary>
internal sealed class SyncStep : SyncQuestion
{
    public required KernelRecord Record { get; init; }
    /// <summary>The record's provider; null when it is not registered.</summary>
    public IKernelProvider? Provider { get; init; }
    public required StepOutcome Planned { get; init; }
    /// <summary>When declined; null: kept as it is ("not confirmed").</summary>
    public StepOutcome? Declined { get; init; }
    /// <summary>The state the provider reported (a failed cull's result keeps it).</summary>
    public KernelState Observed { get; init; }
    /// <summary>Executions in flight whose owner process is gone: cleared with the step.</summary>
    public IReadOnlyList<ExecutionInFlight> StaleExecutions { get; set; } = Array.Empty<ExecutionInFlight>();
    /// <summary>An adopted kernel's sessions on its server, recorded with it.</summary>
    public IReadOnlyList<ProviderSession> Sessions { get; set; } = Array.Empty<ProviderSession>();

    /// <summary>What the step came to once applied: <see cref="Chosen"/>, or what its provider action found (a failed
    /// shutdown, a start that answered after all). Set by <see cref="SyncApplier"/>.</summary>
    public StepOutcome? Done { get; set; }

    public static string TargetOf(KernelRecord r) => $"kernel {r.Id} ({r.Provider})";

    /// <summary>What the answer chose.</summary>
    public StepOutcome Chosen => Confirmed || Question is null ? Planned
        : Declined ?? new StepOutcome(Result(Record, SyncAction.Kept, $"not confirmed: {Question}", Record.State));

    /// <summary>The result under WhatIf: the planned change, marked as what would happen; the answer changes nothing.</summary>
    public SyncResult WhatIfResult => WithStale(Copy(Planned.Result, whatIf: Planned.Result.Action is not (SyncAction.Kept or SyncAction.Failed)), whatIf: true);

    /// <summary>A result reports the stale executions the step clears (a Kept record becomes Updated).</summary>
    public SyncResult WithStale(SyncResult res, bool whatIf)
    {
        if (StaleExecutions.Count == 0) return res;
        var cleared = $"{(whatIf ? "would clear" : "cleared")} stale record of {string.Join(", ", StaleExecutions.Select(ExecutionOwners.Describe))} (owner process gone); ";
        return Copy(res, res.Action == SyncAction.Kept ? SyncAction.Updated : res.Action, cleared + res.Reason,
            res.WhatIf || (whatIf && res.Action == SyncAction.Kept));
    }

    internal static SyncResult Copy(SyncResult r, SyncAction? action = null, string? reason = null, bool? whatIf = null) => new()
    {
        KernelId = r.KernelId, Provider = r.Provider, State = r.State,
        Action = action ?? r.Action, Reason = reason ?? r.Reason, WhatIf = whatIf ?? r.WhatIf,
    };

    internal static SyncResult Result(KernelRecord r, SyncAction action, string reason, KernelState state) => new()
    {
        KernelId = r.Id, Provider = r.Provider, Action = action, Reason = reason, State = state,
    };
}
