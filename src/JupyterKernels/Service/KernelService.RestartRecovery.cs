using JupyterKernels.Providers;
using JupyterKernels.Store;

namespace JupyterKernels.Service;

// A restart that failed or was refused leaves a truthful record, never Restarting.
public sealed partial class KernelService
{
    /// <summary>
    /// After a failed or refused restart: the record keeps its process (a refusal, or a failure before the old process
    /// was stopped) with the state it had, or shows the kernel dead when the old process is gone and no new one runs
    /// (the provider's probe decides, as Sync would). The process data is left as it is, so nothing stale looks new.
    /// </summary>
    private static async Task RecordFailedRestartAsync(KernelStore store, IKernelProvider provider, KernelRecord before)
    {
        using var budget = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        KernelState state;
        try
        {
            var current = await store.GetKernelAsync(before.Id, budget.Token).ConfigureAwait(false);
            if (current is null) return;
            var probe = await provider.ProbeAsync(current, budget.Token).ConfigureAwait(false);
            state = probe.Liveness switch
            {
                KernelLiveness.Alive => before.State is KernelState.Restarting or KernelState.Starting ? KernelState.Idle : before.State,
                KernelLiveness.Gone => KernelState.Dead,
                _ => KernelState.Unknown,
            };
            await store.UpdateKernelAsync(current with { State = state, LastSeenAt = DateTimeOffset.UtcNow }, budget.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is KernelException or OperationCanceledException)
        {
            // The store or the probe cannot answer now: Sync repairs a Restarting left behind.
        }
    }
}
