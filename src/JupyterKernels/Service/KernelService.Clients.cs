using JupyterKernels.Connections;
using JupyterKernels.Providers;

namespace JupyterKernels.Service;

// Live connections of this process: one KernelClient per kernel, shared by every caller (it is safe for concurrent
// executions), reconnected when it died with its transport, dropped when the kernel stops.
public sealed partial class KernelService : IKernelConnectionSource
{
    async Task<KernelClient?> IKernelConnectionSource.TryGetClientAsync(KernelRecord kernel, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            return await GetClientAsync(kernel, cts.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is KernelException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null;
        }
    }

    internal async Task<KernelClient> GetClientAsync(KernelRecord record, CancellationToken cancellationToken)
    {
        while (true)
        {
            var lazy = _clients.GetOrAdd(record.Id, _ => new Lazy<Task<KernelClient>>(() => ConnectAsync(record)));
            KernelClient client;
            try
            {
                client = await lazy.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                _clients.TryRemove(new KeyValuePair<string, Lazy<Task<KernelClient>>>(record.Id, lazy));
                throw;
            }
            if (client.TerminalError is null) return client;
            // The connection is finished (kernel died or transport closed): forget it; a reconnect tells the truth.
            if (_clients.TryRemove(new KeyValuePair<string, Lazy<Task<KernelClient>>>(record.Id, lazy)))
                await client.DisposeAsync().ConfigureAwait(false);
            if (client.TerminalError.ErrorId == ErrorIds.KernelDied) throw client.TerminalError;
        }
    }

    private async Task<KernelClient> ConnectAsync(KernelRecord record)
    {
        // Not the caller's token: the connection is shared and outlives the call that happened to open it.
        using var cts = new CancellationTokenSource(_options.ConnectTimeout);
        KernelClient? client = null;
        try
        {
            var provider = (await ProvidersAsync(cts.Token).ConfigureAwait(false)).Get(record.Provider);
            var channels = await provider.ConnectAsync(record, cts.Token).ConfigureAwait(false);
            client = new KernelClient(record.Id, channels, provider.GetClientOptions(record));
            // Readiness asks control first: it answers while the main shell runs someone else's long cell.
            await client.WaitForReadyAsync(_options.ConnectTimeout, cts.Token).ConfigureAwait(false);
            return client;
        }
        catch (Exception e) when (e is OperationCanceledException || e is KernelException { ErrorId: ErrorIds.KernelStartTimeout })
        {
            // The connect budget ran out: a timeout with a stable id, never "a task was canceled".
            if (client is not null) await client.DisposeAsync().ConfigureAwait(false);
            throw new KernelException(ErrorIds.KernelNotResponding, KernelErrorCategory.OperationTimeout,
                $"Kernel {record.Id} did not answer within {_options.ConnectTimeout.TotalSeconds:0} s (is it alive? Sync-KernelSession checks).", record.Id, e);
        }
        catch
        {
            if (client is not null) await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task DropClientAsync(string kernelId)
    {
        if (_clients.TryRemove(kernelId, out var lazy) && lazy.IsValueCreated)
        {
            try { await (await lazy.Value.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false); }
            catch (Exception) { /* it never connected: nothing to close */ }
        }
    }
}
