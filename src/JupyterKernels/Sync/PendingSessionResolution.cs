using JupyterKernels.Providers;
using JupyterKernels.Processes;
using JupyterKernels.Store;

namespace JupyterKernels.Sync;

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

    private readonly KernelStore _store;
    private readonly List<(PendingSessionClaim Claim, KernelRecord? Kernel)> _abandoned;

    private PendingSessionResolution(KernelStore store, List<(PendingSessionClaim, KernelRecord?)> abandoned)
    {
        _store = store;
        _abandoned = abandoned;
    }

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
        return new PendingSessionResolution(store, abandoned);
    }

    /// <summary>After the provider passes: <paramref name="outcomes"/> holds what they decided per kernel id.</summary>
    public async Task<IReadOnlyList<SyncResult>> ResolveAsync(IReadOnlyDictionary<string, SyncResult> outcomes, SyncOptions options,
        Func<string, string, bool>? shouldProcess, CancellationToken ct)
    {
        var results = new List<SyncResult>();
        foreach (var (claim, kernel) in _abandoned)
        {
            ct.ThrowIfCancellationRequested();
            var who = $"session '{claim.Name}' was left pending by process {claim.Pid}, which is gone";
            if (kernel is not null)
            {
                if (options.Providers is { } only && !only.Contains(kernel.Provider)) continue;
                if (!outcomes.TryGetValue(kernel.Id, out var outcome)) continue;
                if (outcome.Action is SyncAction.Removed or SyncAction.MarkedDead || outcome.State is KernelState.Dead or KernelState.Stopped)
                {
                    results.Add(await DropAsync(claim, kernel.Id, kernel.Provider, $"{who}; its kernel never answered: session removed", options, shouldProcess, ct).ConfigureAwait(false));
                }
                else if (outcome.State is not (KernelState.Starting or KernelState.Unknown))
                {
                    var action = $"Bind session '{claim.Name}' to kernel {kernel.Id}";
                    if (shouldProcess is not null && !shouldProcess($"session '{claim.Name}'", action) && !options.WhatIf) continue;
                    var bound = options.WhatIf || await _store.BindPendingSessionAsync(claim, kernel.Id, ct).ConfigureAwait(false);
                    if (bound)
                        results.Add(new SyncResult
                        {
                            KernelId = kernel.Id, Provider = kernel.Provider, Action = SyncAction.Updated, State = outcome.State, WhatIf = options.WhatIf,
                            Reason = $"{who}; the kernel its start left running is now that session's",
                        });
                }
                // Still starting (or not known): the next sync decides.
                continue;
            }
            if (options.Providers is not null) continue;
            results.Add(await DropAsync(claim, "", "", $"{who}; no kernel was started for it: session removed", options, shouldProcess, ct).ConfigureAwait(false));
        }
        return results;
    }

    private async Task<SyncResult> DropAsync(PendingSessionClaim claim, string kernelId, string provider, string reason, SyncOptions options,
        Func<string, string, bool>? shouldProcess, CancellationToken ct)
    {
        var confirmed = shouldProcess is null || shouldProcess($"session '{claim.Name}'", $"Remove session '{claim.Name}' (pending, never completed)");
        if (confirmed && !options.WhatIf) await _store.DropPendingSessionAsync(claim, ct).ConfigureAwait(false);
        return new SyncResult
        {
            KernelId = kernelId, Provider = provider, Action = confirmed ? SyncAction.Removed : SyncAction.Kept, State = KernelState.Dead, WhatIf = options.WhatIf,
            Reason = confirmed ? reason : $"not confirmed: {reason}",
        };
    }
}
