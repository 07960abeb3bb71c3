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

    /// <param name="connectBudget">How long a new connection may take to prove the kernel answers (default: the
    /// service's ConnectTimeout; a caller's longer -Timeout extends it).</param>
    internal async Task<KernelClient> GetClientAsync(KernelRecord record, CancellationToken cancellationToken, TimeSpan? connectBudget = null)
    {
        while (true)
        {
            var lazy = _clients.GetOrAdd(record.Id, _ => new Lazy<Task<KernelClient>>(() => ConnectAsync(record, connectBudget ?? _options.ConnectTimeout)));
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
            var options = provider.GetClientOptions(record) with { CheckRestarted = ct => RestartEvidenceAsync(record, ct) };
            client = new KernelClient(record.Id, channels, options) { KernelName = record.SpecName };
            EnsureIdleReaper();
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

    /// <summary>
    /// Asked when our connection's kernel process is gone: if the store shows another client restarting it (state
    /// restarting, or a different process recorded since we connected), the calls in flight end with KernelRestarted
    /// instead of KernelDied.
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
        catch (KernelException)
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

    private Timer? _idleReaper;
    private int _reaping;

    private void EnsureIdleReaper()
    {
        var idle = _options.IdleConnectionTimeout;
        if (idle <= TimeSpan.Zero || _idleReaper is not null) return;
        var period = TimeSpan.FromTicks(Math.Clamp(idle.Ticks / 4, TimeSpan.FromMilliseconds(250).Ticks, TimeSpan.FromMinutes(1).Ticks));
        var timer = new Timer(_ => _ = ReapIdleClientsAsync(), null, period, period);
        if (Interlocked.CompareExchange(ref _idleReaper, timer, null) is not null) timer.Dispose();
    }

    /// <summary>
    /// Closes cached connections nobody used for <see cref="KernelServiceOptions.IdleConnectionTimeout"/>. The
    /// connection leaves the cache first (a new call opens a new one), and is closed only while nothing waits on it:
    /// a call that took it from the cache a moment before still finishes on it.
    /// </summary>
    private async Task ReapIdleClientsAsync()
    {
        if (Interlocked.Exchange(ref _reaping, 1) != 0) return;
        try
        {
            var limit = (long)_options.IdleConnectionTimeout.TotalMilliseconds;
            // Those that left the cache on an earlier tick: a caller that fetched one just before had a whole period
            // to register its request.
            for (int n = _retiring.Count; n > 0 && _retiring.TryDequeue(out var old); n--)
            {
                if (old.PendingCount == 0 && Environment.TickCount64 - old.LastUsedTicks >= limit) await old.DisposeAsync().ConfigureAwait(false);
                else _retiring.Enqueue(old);
            }
            foreach (var (id, lazy) in _clients.ToArray())
            {
                if (!lazy.IsValueCreated || !lazy.Value.IsCompletedSuccessfully) continue;
                var client = lazy.Value.Result;
                if (client.PendingCount > 0 || Environment.TickCount64 - client.LastUsedTicks < limit) continue;
                if (_clients.TryRemove(new KeyValuePair<string, Lazy<Task<KernelClient>>>(id, lazy))) _retiring.Enqueue(client);
            }
        }
        catch (Exception) { /* best effort: the next tick tries again */ }
        finally
        {
            Volatile.Write(ref _reaping, 0);
        }
    }

    private readonly System.Collections.Concurrent.ConcurrentQueue<KernelClient> _retiring = new();

    private async Task DropClientAsync(string kernelId)
    {
        if (_clients.TryRemove(kernelId, out var lazy) && lazy.IsValueCreated)
        {
            try { await (await lazy.Value.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false); }
            catch (Exception) { /* it never connected: nothing to close */ }
        }
    }
}
