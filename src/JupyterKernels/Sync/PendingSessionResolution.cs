using JupyterKernels.Providers;
using JupyterKernels.Processes;
using JupyterKernels.Store;

namespace JupyterKernels.Sync;

/// <summary>A claim left pending by a process that is gone: bind it to the kernel its start left, or drop it.</summary>
internal sealed class PendingSessionStep : SyncQuestion
{
    public required PendingSessionClaim Claim { get; init; }
    /// <summary>The kernel record its process was starting for it; null when none was started.</summary>
    public KernelRecord? Kernel { get; init; }
    /// <summary>True: bind the session to <see cref="Kernel"/>; false: drop the claim.</summary>
    public bool Bind { get; init; }
    public required string Reason { get; init; }
    /// <summary>The kernel's state (what a bound session's result shows).</summary>
    public KernelState State { get; init; } = KernelState.Dead;

    private SyncResult Result(SyncAction action, string reason, bool whatIf) => new()
    {
        KernelId = Kernel?.Id ?? "", Provider = Kernel?.Provider ?? "", Action = action, State = State, Reason = reason, WhatIf = whatIf,
    };

    public SyncResult WhatIfResult => Result(Bind ? SyncAction.Updated : SyncAction.Removed, Reason, whatIf: true);

    /// <summary>The result once applied (<paramref name="written"/>: the store took the change); null: nothing to report
    /// (a bind declined, or whose claim or kernel went meanwhile).</summary>
    public SyncResult? Applied(bool written) =>
        Bind ? (Confirmed && written ? Result(SyncAction.Updated, Reason, false) : null)
        : Confirmed ? Result(SyncAction.Removed, Reason, false) : Result(SyncAction.Kept, $"not confirmed: {Reason}", false);
}

/// <summary>
/// A New-KernelSession killed while its kernel started leaves its session claimed (pending, hidden from
/// Get-KernelSession) and a kernel record in state Starting whose starter is that same process. The record's own
/// recovery (<see cref="ProviderSyncPass.RecoverStartsAsync"/>) completes or removes it; this step then resolves the
/// claim the same way, in the same sync: the session is bound to the completed kernel, or dropped with the kernel
/// that never answered. Without it the next New-KernelSession of that name took the stale claim over and started a
/// second kernel, while the first ran unbound.
/// <para>The link is the start itself: the claim records its process (pending_pid, pending_since), the record its
/// starter (pid, start time, created at). A record matches when that process started it after claiming; the claim of
/// a process that is still alive is never touched.</para>
/// </summary>
internal sealed class PendingSessionResolution
{
    private static readonly TimeSpan ClockSlack = TimeSpan.FromSeconds(2);

    private readonly List<(PendingSessionClaim Claim, KernelRecord? Kernel)> _abandoned;

    private PendingSessionResolution(List<(PendingSessionClaim, KernelRecord?)> abandoned) => _abandoned = abandoned;

    /// <summary>Before the provider passes (which clear a completed record's starter): the claims whose process is gone,
    /// each with the kernel record its process was starting for it, if any.</summary>
    public static async Task<PendingSessionResolution> FindAsync(KernelStore store, IReadOnlyList<KernelRecord> records, CancellationToken ct)
    {
        var abandoned = new List<(PendingSessionClaim, KernelRecord?)>();
        foreach (var claim in await store.ListPendingSessionsAsync(ct).ConfigureAwait(false))
        {
            if (claim.Pid is not { } pid || pid == Environment.ProcessId || ProcessIdentity.Check(pid, null) != ProcessStatus.Gone) continue;
            var since = claim.Since ?? DateTimeOffset.MinValue;
            var started = records
                .Where(r => r.State == KernelState.Starting && r.StarterPid == pid && r.CreatedAt >= since - ClockSlack
                            && (r.StarterStartTime is null || r.StarterStartTime <= since + ClockSlack))
                .MinBy(r => r.CreatedAt);
            abandoned.Add((claim, started));
        }
        return new PendingSessionResolution(abandoned);
    }

    /// <summary>What to do with each claim, given what the provider steps come to per kernel id
    /// (<paramref name="outcomes"/>). Claims whose kernel is still starting (or not known) are left to the next sync.</summary>
    public IReadOnlyList<PendingSessionStep> Plan(IReadOnlyDictionary<string, SyncResult> outcomes, SyncOptions options)
    {
        var steps = new List<PendingSessionStep>();
        foreach (var (claim, kernel) in _abandoned)
        {
            if (kernel is not null && options.Providers is { } only && !only.Contains(kernel.Provider)) continue;
            if (kernel is null && options.Providers is not null) continue;
            if (Decide(claim, kernel, kernel is null ? null : outcomes.GetValueOrDefault(kernel.Id)) is { } step) steps.Add(step);
        }
        return steps;
    }

    /// <summary>The same decision once the provider actions ran: null when it no longer holds (the kernel's start
    /// turned out otherwise than planned), so the next sync decides.</summary>
    public static PendingSessionStep? Recheck(PendingSessionStep planned, IReadOnlyDictionary<string, SyncResult> outcomes)
    {
        if (planned.Kernel is null) return planned;
        var now = Decide(planned.Claim, planned.Kernel, outcomes.GetValueOrDefault(planned.Kernel.Id));
        return now is not null && now.Bind == planned.Bind ? planned : null;
    }

    private static PendingSessionStep? Decide(PendingSessionClaim claim, KernelRecord? kernel, SyncResult? outcome)
    {
        var who = $"session '{claim.Name}' was left pending by process {claim.Pid}, which is gone";
        var target = $"session '{claim.Name}'";
        var drop = $"Remove session '{claim.Name}' (pending, never completed)";
        if (kernel is null)
            return new PendingSessionStep { Claim = claim, Target = target, Question = drop, Reason = $"{who}; no kernel was started for it: session removed" };
        if (outcome is null) return null;
        if (outcome.Action is SyncAction.Removed or SyncAction.MarkedDead || outcome.State is KernelState.Dead or KernelState.Stopped)
            return new PendingSessionStep
            {
                Claim = claim, Kernel = kernel, Target = target, Question = drop, Reason = $"{who}; its kernel never answered: session removed",
            };
        if (outcome.State is KernelState.Starting or KernelState.Unknown) return null;
        return new PendingSessionStep
        {
            Claim = claim, Kernel = kernel, Bind = true, State = outcome.State, Target = target, Question = $"Bind session '{claim.Name}' to kernel {kernel.Id}",
            Reason = $"{who}; the kernel its start left running is now that session's",
        };
    }
}
