using JupyterKernels.Providers;
using JupyterKernels.Sync;

namespace JupyterKernels.Service;

// Nothing ends another client's running work unasked. Stop, restart and session removal look at three pieces of
// evidence, cheapest first: an execution another live process of ours recorded in the store; for a remote kernel, the
// server's execution_state (it sees every client's cells, JupyterLab's included); for a local kernel, the kernel's own
// answers (control answers while the shell is silent: a cell is running, whoever sent it). Busy on any of them is
// KernelBusy naming what was seen; -Force goes ahead. Evidence that cannot be had (server down, kernel frozen) does not
// refuse: a stop is how a user ends a kernel that answers nothing.
public sealed partial class KernelService
{
    /// <summary>How long the evidence is waited for before a stop goes ahead without it: room for a new connection, the
    /// local probe (control 3 s, then the shell window) or two server probes on a loaded machine.</summary>
    internal static readonly TimeSpan RefusalProbeBudget = TimeSpan.FromSeconds(6);

    /// <summary>A server reporting busy is asked again after this long: a busy of a moment (a kernel_info) is no cell.</summary>
    private static readonly TimeSpan BusyRecheckDelay = TimeSpan.FromMilliseconds(300);

    /// <exception cref="KernelException">KernelBusy</exception>
    internal async Task RefuseIfAnotherProcessRunsCodeAsync(string kernelId, string doing, CancellationToken cancellationToken)
    {
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        var running = (await store.ListExecutionsAsync(kernelId, cancellationToken).ConfigureAwait(false))
            .Where(e => e.OwnerPid != ExecutionOwners.ThisPid && !ExecutionOwners.IsStale(e)).ToList();
        if (running.Count > 0)
        {
            var more = running.Count > 1 ? $" (and {running.Count - 1} more)" : "";
            throw Busy(kernelId, $"is running code for another process: {ExecutionOwners.Describe(running[0])}{more}", doing);
        }
        // This process's own work: its user is the one asking.
        if (_connections.Connected(kernelId) is { PendingCount: > 0 }) return;
        var record = await store.GetKernelAsync(kernelId, cancellationToken).ConfigureAwait(false);
        if (record is null || record.State is KernelState.Dead or KernelState.Stopped
            || !(await ProvidersAsync(cancellationToken).ConfigureAwait(false)).TryGet(record.Provider, out var provider)) return;
        // A local kernel whose process is gone runs nothing (and asking it would only wait out the probe).
        if (Describe(record).Pid is int pid && !Processes.ProcessSignals.Exists(pid)) return;
        if (await OtherClientsWorkAsync(provider, record, cancellationToken).ConfigureAwait(false) is { } seen)
            throw Busy(kernelId, seen, doing);
    }

    /// <summary>What shows another client's cell running on the kernel, or null when nothing does (or nothing can tell).</summary>
    private static async Task<string?> OtherClientsWorkAsync(IKernelProvider provider, KernelRecord record, CancellationToken cancellationToken)
    {
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(RefusalProbeBudget);
        try
        {
            if (provider is IProbesActivity asking)
            {
                var activity = await asking.ProbeActivityAsync(record, budget.Token).ConfigureAwait(false);
                const string prefix = "running code: ";
                var evidence = activity.Evidence.StartsWith(prefix, StringComparison.Ordinal) ? activity.Evidence[prefix.Length..] : activity.Evidence;
                return activity.Activity == KernelActivity.Busy ? $"is running code for another client: {evidence}" : null;
            }
            var probe = await provider.ProbeAsync(record, budget.Token).ConfigureAwait(false);
            if (probe.State != KernelState.Busy) return null;
            await Task.Delay(BusyRecheckDelay, budget.Token).ConfigureAwait(false);
            probe = await provider.ProbeAsync(record, budget.Token).ConfigureAwait(false);
            if (probe.State != KernelState.Busy) return null;
            var connections = probe.Connections is { } n ? $", {n} connection{(n == 1 ? "" : "s")}" : "";
            return $"is running code for another client: provider '{provider.Name}' reports execution_state busy{connections}";
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        catch (KernelException)
        {
            return null;
        }
    }

    private static KernelException Busy(string kernelId, string seen, string doing)
        => new(ErrorIds.KernelBusy, KernelErrorCategory.ResourceBusy,
            $"Kernel {kernelId} {seen}. {doing} would end that work. Wait for it, interrupt it (Stop-KernelExecution), or use -Force.", kernelId);
}
