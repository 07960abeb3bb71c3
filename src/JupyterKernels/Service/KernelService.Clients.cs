using JupyterKernels.Connections;
using JupyterKernels.Providers;

namespace JupyterKernels.Service;

// Live connections of this process: one KernelClient per kernel, kept by KernelConnections (the Connections layer),
// opened here with what the Service knows (the store's restart evidence, subshells, learned channels).
public sealed partial class KernelService
{
    /// <param name="connectBudget">How long a new connection may take to prove the kernel answers (default: the
    /// service's ConnectTimeout; a caller's longer -Timeout extends it).</param>
    internal Task<KernelClient> GetClientAsync(KernelRecord record, CancellationToken cancellationToken, TimeSpan? connectBudget = null)
        => _connections.GetAsync(record.Id, () => ConnectAsync(record, connectBudget ?? _options.ConnectTimeout), cancellationToken);

    private async Task<KernelClient> ConnectAsync(KernelRecord record, TimeSpan budget)
    {
        // Not the caller's token: the connection is shared and outlives the call that happened to open it.
        using var cts = new CancellationTokenSource(budget);
        KernelClient? client = null;
        try
        {
            var provider = (await ProvidersAsync(cts.Token).ConfigureAwait(false)).Get(record.Provider);
            StartupTrace.Mark("connect");
            var channels = await provider.ConnectAsync(record, cts.Token).ConfigureAwait(false);
            StartupTrace.Mark("connect: channels open");
            client = new KernelClient(record.Id, channels, provider.GetClientOptions(record)) { KernelName = record.SpecName };
            var id = record.Id;
            client.Restarted += (_, _) => _ = ForgetSubShellsAsync(id);
            client.ProcessGone += (sender, gone) => _ = DecideRestartAsync((KernelClient)sender!, record);
            client.ChannelsLearned += (_, learned) => _ = RememberChannelsAsync(record, provider, learned);
            // Readiness asks control first: it answers while the main shell runs someone else's long cell.
            await client.WaitForReadyAsync(budget, cts.Token).ConfigureAwait(false);
            StartupTrace.Mark("connect: ready");
            return client;
        }
        catch (Exception e) when (e is OperationCanceledException || e is KernelException { ErrorId: ErrorIds.KernelStartTimeout })
        {
            // The connect budget ran out: a timeout with a stable id, never "a task was canceled".
            if (client is not null) await client.DisposeAsync().ConfigureAwait(false);
            throw new KernelException(ErrorIds.KernelNotResponding, KernelErrorCategory.OperationTimeout,
                $"Kernel {record.Id} did not answer within {budget.TotalSeconds:0} s (is it alive? Sync-KernelSession checks).", record.Id, e);
        }
        catch
        {
            if (client is not null) await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Our connection's kernel process is gone (<see cref="KernelClient.ProcessGone"/>): the store decides
    /// whether it was a restart, and the client is told.</summary>
    private async Task DecideRestartAsync(KernelClient client, KernelRecord connectedTo)
    {
        using var budget = new CancellationTokenSource(KernelClient.RestartVerdictWait);
        client.ReportRestartEvidence(await RestartEvidenceAsync(connectedTo, budget.Token).ConfigureAwait(false));
    }

    /// <summary>
    /// If the store shows another client restarting the kernel (state restarting, or a different process recorded since
    /// we connected), the calls in flight end with KernelRestarted instead of KernelDied.
    /// </summary>
    private async ValueTask<string?> RestartEvidenceAsync(KernelRecord connectedTo, CancellationToken cancellationToken)
    {
        try
        {
            var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
            var now = await store.GetKernelAsync(connectedTo.Id, cancellationToken).ConfigureAwait(false);
            if (now is null) return null;
            if (now.State == KernelState.Restarting) return "the store shows another client restarting it";
            // A restart records a new process (local: a new pid, which only a start, a restart or a start's recovery
            // writes) or a new remote id. Other provider data (what a client learned of the channels) is no process.
            var (pidNow, pidThen) = (Describe(now).Pid, Describe(connectedTo).Pid);
            if (pidNow != pidThen || now.RemoteId != connectedTo.RemoteId)
            {
                return $"another client restarted it: its process is now {pidNow?.ToString() ?? now.RemoteId ?? "new"}, was {pidThen?.ToString() ?? connectedTo.RemoteId ?? "another"}";
            }
            return null;
        }
        catch (Exception e) when (e is KernelException or OperationCanceledException)
        {
            return null; // the store cannot tell: the death stands as the provider saw it
        }
    }

    /// <summary>A restarted kernel is a new process: the subshell ids of the old one are invalid.</summary>
    private async Task ForgetSubShellsAsync(string kernelId)
    {
        try
        {
            var store = await StoreAsync(CancellationToken.None).ConfigureAwait(false);
            await store.ClearSubShellsAsync(kernelId, CancellationToken.None).ConfigureAwait(false);
        }
        catch (KernelException) { /* bookkeeping only */ }
    }

    private Task DropClientAsync(string kernelId) => _connections.DropAsync(kernelId);
}
