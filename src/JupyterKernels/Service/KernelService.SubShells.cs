using JupyterKernels.Connections;
using JupyterKernels.Messaging;
using JupyterKernels.Providers;

namespace JupyterKernels.Service;

// Kernel subshells (protocol 5.5, JEP 91): managed on the control channel; a kernel without the feature gets a
// clear error at once (it would otherwise stay silent: the spec lets it ignore unknown requests).
public sealed partial class KernelService
{
    public async Task<KernelSubShell> CreateSubShellAsync(string kernelId, CancellationToken cancellationToken)
    {
        var (record, client) = await SubShellClientAsync(kernelId, cancellationToken).ConfigureAwait(false);
        var id = await ControlAsync(client, MessageTypes.CreateSubshellRequest, (c, t, ct) => c.CreateSubshellAsync(t, ct), cancellationToken).ConfigureAwait(false);
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        return await store.AddSubShellAsync(record.Id, id, CancellationToken.None).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<KernelSubShell>> GetSubShellsAsync(string kernelId, CancellationToken cancellationToken)
    {
        var (record, client) = await SubShellClientAsync(kernelId, cancellationToken).ConfigureAwait(false);
        var live = await ControlAsync(client, MessageTypes.ListSubshellRequest, (c, t, ct) => c.ListSubshellsAsync(t, ct), cancellationToken).ConfigureAwait(false);
        // The kernel is the truth; the store keeps creation times and forgets ids the kernel no longer has.
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        var known = (await store.ListSubShellsAsync(record.Id, cancellationToken).ConfigureAwait(false)).ToDictionary(s => s.SubShellId, StringComparer.Ordinal);
        var result = new List<KernelSubShell>(live.Count);
        foreach (var id in live)
            result.Add(known.TryGetValue(id, out var s) ? s : await store.AddSubShellAsync(record.Id, id, CancellationToken.None).ConfigureAwait(false));
        foreach (var stale in known.Keys.Except(live, StringComparer.Ordinal))
            await store.RemoveSubShellAsync(record.Id, stale, CancellationToken.None).ConfigureAwait(false);
        return result;
    }

    public async Task DeleteSubShellAsync(string kernelId, string subShellId, CancellationToken cancellationToken)
    {
        var (record, client) = await SubShellClientAsync(kernelId, cancellationToken).ConfigureAwait(false);
        await ControlAsync(client, MessageTypes.DeleteSubshellRequest, async (c, t, ct) => { await c.DeleteSubshellAsync(subShellId, t, ct).ConfigureAwait(false); return true; }, cancellationToken).ConfigureAwait(false);
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        await store.RemoveSubShellAsync(record.Id, subShellId, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Unknown subshell ids are dropped by kernels in silence (no reply, no idle): refuse them here instead
    /// of letting the caller wait for a timeout. A restart clears them all.</summary>
    private async Task EnsureSubShellKnownAsync(KernelRecord record, string subShellId, CancellationToken cancellationToken)
    {
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        var known = await store.ListSubShellsAsync(record.Id, cancellationToken).ConfigureAwait(false);
        if (!known.Any(s => s.SubShellId == subShellId))
            throw new KernelException(ErrorIds.SubShellNotFound, KernelErrorCategory.ObjectNotFound,
                $"Kernel {record.Id} has no subshell '{subShellId}' (deleted, or invalidated by a restart).", subShellId);
    }

    private async Task<(KernelRecord, KernelClient)> SubShellClientAsync(string kernelId, CancellationToken cancellationToken)
    {
        var record = await GetRecordAsync(kernelId, cancellationToken).ConfigureAwait(false);
        var client = await GetClientAsync(record, cancellationToken).ConfigureAwait(false);
        var info = client.Info ?? await SeenByStoreAsync(client.GetKernelInfoAsync(_options.ControlTimeout, cancellationToken)).ConfigureAwait(false);
        if (!info.SupportsSubshells)
            throw new KernelException(ErrorIds.SubShellsNotSupported, KernelErrorCategory.NotImplemented,
                $"Kernel {record.SpecName} {kernelId} ({Describe(info)}) does not support subshells: its kernel_info has no \"kernel subshells\" feature (ipykernel 7+ has it).", kernelId);
        return (record, client);
    }

    /// <summary>"ipython 8.5.0, protocol 5.3": what the kernel says it is, by name and version.</summary>
    private static string Describe(KernelInfo info)
    {
        var implementation = string.Join(' ', new[] { info.Implementation, info.ImplementationVersion }.Where(s => s.Length > 0));
        return string.Join(", ", new[] { implementation, info.ProtocolVersion.Length > 0 ? $"protocol {info.ProtocolVersion}" : "" }.Where(s => s.Length > 0));
    }

    /// <summary>A subshell control request with the service's timeout; no reply in time is SubShellTimeout.</summary>
    private async Task<T> ControlAsync<T>(KernelClient client, string msgType, Func<KernelClient, TimeSpan, CancellationToken, Task<T>> request, CancellationToken cancellationToken)
    {
        try
        {
            return await SeenByStoreAsync(request(client, _options.ControlTimeout, cancellationToken)).ConfigureAwait(false);
        }
        catch (KernelException e) when (e.ErrorId == ErrorIds.KernelNotResponding)
        {
            throw new KernelException(ErrorIds.SubShellTimeout, KernelErrorCategory.OperationTimeout,
                $"Kernel {client.KernelId} sent no reply to {msgType} within {_options.ControlTimeout.TotalSeconds:0} s (a subshell busy with a long cell delays its deletion).", client.KernelId, e);
        }
    }
}
