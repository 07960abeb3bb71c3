using System.Collections.Concurrent;

namespace JupyterKernels.Connections;

/// <summary>
/// This process's live connections: one <see cref="KernelClient"/> per kernel, shared by every caller (a client is safe
/// for concurrent executions), reconnected when it died with its transport, closed when nobody used it for a while.
/// The one owner of them, below both its users: the Service opens and uses them, and a provider sends its control
/// requests (interrupt_request, shutdown_request) through a live one instead of opening a second set of sockets. Both
/// call down into it; it calls neither.
/// </summary>
internal sealed class KernelConnections : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Connection> _clients = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<KernelClient> _retiring = new();
    private readonly TimeSpan _idleTimeout;
    private Timer? _idleReaper;
    private int _reaping;

    /// <summary>A connection being opened or open, and the kernel process it was opened to (as the caller's record named it).</summary>
    private sealed record Connection(string? Process, Lazy<Task<KernelClient>> Client);

    /// <param name="idleTimeout">A connection nobody used this long (no call waiting on it) is closed; zero or negative = never.</param>
    public KernelConnections(TimeSpan idleTimeout) => _idleTimeout = idleTimeout;

    /// <summary>
    /// The connection to <paramref name="kernelId"/>, opened by <paramref name="connect"/> when there is none (one open
    /// at a time per kernel: concurrent callers share it). A finished connection (kernel died, transport closed) is
    /// forgotten and opened anew, except after a death, which is thrown: a reconnect would only tell it again later.
    /// <paramref name="process"/> names the kernel process the caller's record shows (its pid, or its id on a server;
    /// null = not known): a connection opened to another process is left behind and a new one opened, so after a
    /// restart by anyone the next call reaches the new process, while a death of the same process fails at once.
    /// </summary>
    public async Task<KernelClient> GetAsync(string kernelId, string? process, Func<Task<KernelClient>> connect, CancellationToken cancellationToken)
    {
        while (true)
        {
            var entry = _clients.GetOrAdd(kernelId, _ => new Connection(process, new Lazy<Task<KernelClient>>(connect)));
            if (process is not null && entry.Process != process)
            {
                // The record names a newer process than the one this connection reached.
                if (_clients.TryRemove(new KeyValuePair<string, Connection>(kernelId, entry))) _ = RetireAsync(entry);
                continue;
            }
            var lazy = entry.Client;
            KernelClient client;
            try
            {
                client = await lazy.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                _clients.TryRemove(new KeyValuePair<string, Connection>(kernelId, entry));
                throw;
            }
            EnsureIdleReaper();
            if (client.TerminalError is null) return client;
            if (client.TerminalError.ErrorId == ErrorIds.KernelDied) throw client.TerminalError;
            if (_clients.TryRemove(new KeyValuePair<string, Connection>(kernelId, entry)))
                await client.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>A connection to a process the record no longer names: closed once open (it may still be connecting)
    /// when nothing waits on it, else left to the idle reaper (its calls end as its own watch says: that process is gone).</summary>
    private async Task RetireAsync(Connection entry)
    {
        if (!entry.Client.IsValueCreated) return;
        KernelClient old;
        try { old = await entry.Client.Value.ConfigureAwait(false); }
        catch (Exception) { return; /* it never connected: nothing to close */ }
        if (old.PendingCount == 0) await old.DisposeAsync().ConfigureAwait(false);
        else _retiring.Enqueue(old);
    }

    /// <summary>The connection to <paramref name="kernelId"/> when one is open now (it may have ended since); never opens one.</summary>
    public KernelClient? Connected(string kernelId)
        => _clients.TryGetValue(kernelId, out var entry) && entry.Client is { IsValueCreated: true } lazy && lazy.Value.IsCompletedSuccessfully ? lazy.Value.Result : null;

    /// <summary>The open connection that can still carry a request (<see cref="KernelClient.TerminalError"/> unset), or null.</summary>
    public KernelClient? Live(string kernelId) => Connected(kernelId) is { TerminalError: null } client ? client : null;

    /// <summary>Closes and forgets the connection to <paramref name="kernelId"/> (the kernel stopped, or its record went).</summary>
    public async Task DropAsync(string kernelId)
    {
        if (_clients.TryRemove(kernelId, out var entry) && entry.Client.IsValueCreated)
        {
            try { await (await entry.Client.Value.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false); }
            catch (Exception) { /* it never connected: nothing to close */ }
        }
    }

    private void EnsureIdleReaper()
    {
        var idle = _idleTimeout;
        if (idle <= TimeSpan.Zero || _idleReaper is not null) return;
        var period = TimeSpan.FromTicks(Math.Clamp(idle.Ticks / 4, TimeSpan.FromMilliseconds(250).Ticks, TimeSpan.FromMinutes(1).Ticks));
        var timer = new Timer(_ => _ = ReapIdleClientsAsync(), null, period, period);
        if (Interlocked.CompareExchange(ref _idleReaper, timer, null) is not null) timer.Dispose();
    }

    /// <summary>
    /// Closes cached connections nobody used for the idle timeout, so that a long-running PowerShell does not count as a
    /// client of every kernel it ever touched (Jupyter Server's culler keeps kernels with open connections). The
    /// connection leaves the cache first (a new call opens a new one), and is closed only while nothing waits on it: a
    /// call that took it from the cache a moment before still finishes on it.
    /// </summary>
    private async Task ReapIdleClientsAsync()
    {
        if (Interlocked.Exchange(ref _reaping, 1) != 0) return;
        try
        {
            var limit = (long)_idleTimeout.TotalMilliseconds;
            // Those that left the cache on an earlier tick: a caller that fetched one just before had a whole period
            // to register its request.
            for (int n = _retiring.Count; n > 0 && _retiring.TryDequeue(out var old); n--)
            {
                if (old.PendingCount == 0 && Environment.TickCount64 - old.LastUsedTicks >= limit) await old.DisposeAsync().ConfigureAwait(false);
                else _retiring.Enqueue(old);
            }
            foreach (var (id, entry) in _clients.ToArray())
            {
                var lazy = entry.Client;
                if (!lazy.IsValueCreated || !lazy.Value.IsCompletedSuccessfully) continue;
                var client = lazy.Value.Result;
                if (client.PendingCount > 0 || Environment.TickCount64 - client.LastUsedTicks < limit) continue;
                if (client.TerminalError is { ErrorId: ErrorIds.KernelDied })
                {
                    // Its sockets go; the death stays known, so a call on the same process still fails at once.
                    await client.DisposeAsync().ConfigureAwait(false);
                    continue;
                }
                if (_clients.TryRemove(new KeyValuePair<string, Connection>(id, entry))) _retiring.Enqueue(client);
            }
        }
        catch (Exception) { /* best effort: the next tick tries again */ }
        finally
        {
            Volatile.Write(ref _reaping, 0);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_idleReaper is not null) await _idleReaper.DisposeAsync().ConfigureAwait(false);
        foreach (var id in _clients.Keys.ToArray()) await DropAsync(id).ConfigureAwait(false);
        while (_retiring.TryDequeue(out var retired)) await retired.DisposeAsync().ConfigureAwait(false);
    }
}
