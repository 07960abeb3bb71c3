using JupyterKernels.Connections;

namespace JupyterKernels.Service;

// What an interactive console (Enter-Kernel) asks between cells, on this process's one connection to the kernel.
// A console asks often (every Tab, every Enter), so a live connection is used as it is, without a store read first.
public sealed partial class KernelService
{
    public async Task<CodeCompletion> CompleteAsync(string kernelId, string code, int cursor, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var client = await LiveClientAsync(kernelId, cancellationToken).ConfigureAwait(false);
        return await SeenByStoreAsync(client.CompleteAsync(code, cursor, timeout, cancellationToken)).ConfigureAwait(false);
    }

    public async Task<CodeCompleteness?> IsCompleteAsync(string kernelId, string code, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var client = await LiveClientAsync(kernelId, cancellationToken).ConfigureAwait(false);
        return await SeenByStoreAsync(client.IsCompleteAsync(code, timeout, cancellationToken)).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<KernelHistoryEntry>> GetHistoryAsync(string kernelId, int count, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var client = await LiveClientAsync(kernelId, cancellationToken).ConfigureAwait(false);
        return await SeenByStoreAsync(client.GetHistoryTailAsync(count, timeout, cancellationToken)).ConfigureAwait(false);
    }

    public async Task<KernelInfo> GetKernelInfoAsync(string kernelId, CancellationToken cancellationToken)
    {
        var client = await LiveClientAsync(kernelId, cancellationToken).ConfigureAwait(false);
        return client.Info ?? await SeenByStoreAsync(client.GetKernelInfoAsync(_options.ControlTimeout, cancellationToken)).ConfigureAwait(false);
    }

    public async Task<int?> GetNextExecutionCountAsync(string kernelId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // An empty silent cell runs nothing and counts nothing; its reply carries the counter. ipykernel and
        // xeus-python report the last count there, IRkernel the next one (observed: 0 then 1 before any cell for the
        // first two, 1 for IRkernel).
        var options = new ExecuteOptions { Silent = true, StoreHistory = false, AllowStdin = false, Timeout = timeout, InterruptOnCancel = false };
        var execution = await ExecuteAsync(kernelId, "", options, cancellationToken).ConfigureAwait(false);
        var reply = await execution.Completion.ConfigureAwait(false);
        if (reply.ExecutionCount is not { } count) return null;
        var client = await LiveClientAsync(kernelId, cancellationToken).ConfigureAwait(false);
        return string.Equals(client.Info?.Implementation, "IRkernel", StringComparison.OrdinalIgnoreCase) ? count : count + 1;
    }

    /// <summary>This process's connection to the kernel: the cached one while it is alive, else a new one from the
    /// kernel's record (KernelNotFound when there is none).</summary>
    private async Task<KernelClient> LiveClientAsync(string kernelId, CancellationToken cancellationToken)
    {
        if (_connections.Live(kernelId) is { } live) return live;
        var record = await GetRecordAsync(kernelId, cancellationToken).ConfigureAwait(false);
        return await GetClientAsync(record, cancellationToken).ConfigureAwait(false);
    }
}
