using JupyterKernels.Connections;
using JupyterKernels.Store;
using JupyterKernels.Sync;

namespace JupyterKernels.Service;

// Busy across processes: an execution that is still running after a moment is recorded in the store (kernel,
// subshell, owner process, start) until it ends, so every process sees the kernel Busy and no culler stops it.
// last_activity moves at the start, every few seconds while outputs arrive, and at the end. The bookkeeping runs
// beside the execution, never in front of it: the caller's round trip does not wait for a store write.
public sealed partial class KernelService
{
    /// <summary>Executions shorter than this are not recorded as in flight (nobody could act on the record before it
    /// is gone again); they only move last_activity, coarsely.</summary>
    internal static readonly TimeSpan InFlightRecordDelay = TimeSpan.FromMilliseconds(200);

    /// <summary>While an execution runs, last_activity follows its outputs at most this often.</summary>
    internal static readonly TimeSpan OutputActivityInterval = TimeSpan.FromSeconds(5);

    /// <summary>Short executions write last_activity at most this often per kernel and process.</summary>
    private static readonly TimeSpan ActivityWriteInterval = TimeSpan.FromSeconds(5);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> _lastNoted = new(StringComparer.Ordinal);

    private async Task TrackExecutionAsync(string kernelId, string? subShellId, KernelExecution execution, KernelClient client, string? connecting = null)
    {
        var started = DateTimeOffset.UtcNow;
        var done = execution.Completion;
        try
        {
            // WaitAsync drops its timer as soon as the execution completes (a Task.Delay per execute would linger 200 ms).
            if (await CompletesWithinAsync(done, InFlightRecordDelay).ConfigureAwait(false))
            {
                await EndConnectingExecutionAsync(kernelId, connecting).ConfigureAwait(false);
                await NoteActivityAsync(kernelId, started).ConfigureAwait(false);
                return;
            }
            var store = await StoreAsync(CancellationToken.None).ConfigureAwait(false);
            var row = new ExecutionInFlight(execution.MsgId, kernelId, subShellId, ExecutionOwners.ThisPid, ExecutionOwners.ThisStartTime, started);
            var recorded = await store.BeginExecutionAsync(row, CancellationToken.None).ConfigureAwait(false);
            await EndConnectingExecutionAsync(kernelId, connecting).ConfigureAwait(false);
            if (!recorded) return; // kernel forgotten meanwhile
            var written = started;
            while (!done.IsCompleted)
            {
                await Task.WhenAny(done, Task.Delay(OutputActivityInterval)).ConfigureAwait(false);
                if (!done.IsCompleted && client.LastActivity is { } seen && seen > written)
                {
                    await store.NoteActivityAsync(kernelId, seen, CancellationToken.None).ConfigureAwait(false);
                    written = seen;
                }
            }
            await store.EndExecutionAsync(kernelId, execution.MsgId, DateTimeOffset.UtcNow, CancellationToken.None).ConfigureAwait(false);
            _lastNoted[kernelId] = DateTimeOffset.UtcNow;
        }
        catch (Exception e) when (e is KernelException or ObjectDisposedException or InvalidOperationException)
        {
            // Bookkeeping only: a store that cannot be written must not fail the execution. A row left behind is
            // cleared by Sync-KernelSession once this process is gone.
        }
    }

    private static async Task<bool> CompletesWithinAsync(Task task, TimeSpan timeout)
    {
        try { await task.WaitAsync(timeout).ConfigureAwait(false); }
        catch (TimeoutException) { return false; }
        catch (Exception) { /* the execution failed: it is over all the same */ }
        return true;
    }

    /// <summary>Keeps last_activity current for culling, at most every few seconds per kernel (a store write per
    /// short execute would cost more than the execute).</summary>
    private async Task NoteActivityAsync(string kernelId, DateTimeOffset at)
    {
        if (_lastNoted.TryGetValue(kernelId, out var last) && at - last < ActivityWriteInterval) return;
        _lastNoted[kernelId] = at;
        var store = await StoreAsync(CancellationToken.None).ConfigureAwait(false);
        await store.NoteActivityAsync(kernelId, at, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Busy from any process: a recorded execution whose owner is not provably gone.</summary>
    private Kernel WithExecutions(Providers.KernelRecord record, IEnumerable<ExecutionInFlight> executions)
    {
        var kernel = Present(record);
        if (record.State is KernelState.Idle or KernelState.Unknown && executions.Any(e => e.KernelId == record.Id && !e.IsConnecting && !ExecutionOwners.IsStale(e)))
            kernel = kernel.WithState(KernelState.Busy);
        return kernel;
    }
}
