using JupyterKernels.Connections;
using JupyterKernels.Providers;

namespace JupyterKernels.Service;

// Live connections of this process: one KernelClient per kernel, kept by KernelConnections (the Connections layer),
// opened here with what the Service knows (subshells, learned channels), and reached through the kernel process its
// record names, so that after a restart by anyone the next call reaches the new process.
public sealed partial class KernelService
{
    /// <param name="connectBudget">How long a new connection may take to prove the kernel answers (default: the
    /// service's ConnectTimeout; a caller's longer -Timeout extends it).</param>
    internal Task<KernelClient> GetClientAsync(KernelRecord record, CancellationToken cancellationToken, TimeSpan? connectBudget = null)
        => SeenByStoreAsync(_connections.GetAsync(record.Id, ProcessOf(record), () => ConnectAsync(record, connectBudget ?? _options.ConnectTimeout), cancellationToken));

    /// <summary>The kernel process a record names, as the connections tell one from another: a local kernel's pid, a
    /// remote kernel's id on its server; null when the record names none (an adopted kernel).</summary>
    private string? ProcessOf(KernelRecord record)
        => Describe(record).Pid is { } pid ? $"pid {pid}" : record.RemoteId is { } remote ? $"remote {remote}" : null;

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
