using JupyterKernels.Store;
using JupyterKernels.Sync;

namespace JupyterKernels.Service;

// An execution is recorded before this process first connects to its kernel: the connection (readiness, the kernel's
// answers on each channel) may take a while, and meanwhile another process's Stop-Kernel must see the kernel in use.
public sealed partial class KernelService
{
    /// <summary>Records an execution in flight under a provisional id when this process has no live connection to the
    /// kernel yet (a connected client sends at once and is recorded as usual); null when none was needed.</summary>
    private async Task<string?> RecordConnectingExecutionAsync(string kernelId, string? subShellId, CancellationToken cancellationToken)
    {
        if (_connections.Live(kernelId) is not null) return null;
        var id = ExecutionInFlight.ConnectingPrefix + Guid.NewGuid().ToString("N");
        try
        {
            var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
            var row = new ExecutionInFlight(id, kernelId, subShellId, ExecutionOwners.ThisPid, ExecutionOwners.ThisStartTime, DateTimeOffset.UtcNow);
            return await store.BeginExecutionAsync(row, cancellationToken).ConfigureAwait(false) ? id : null;
        }
        catch (KernelException)
        {
            return null; // bookkeeping only
        }
    }

    private async Task EndConnectingExecutionAsync(string kernelId, string? connecting)
    {
        if (connecting is null) return;
        try
        {
            var store = await StoreAsync(CancellationToken.None).ConfigureAwait(false);
            await store.RemoveExecutionsAsync(new[] { connecting }, CancellationToken.None).ConfigureAwait(false);
        }
        catch (KernelException) { /* a row left behind is cleared by Sync once this process is gone */ }
    }
}
