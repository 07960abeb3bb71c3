using JupyterKernels.Providers;
using JupyterKernels.Store;

namespace JupyterKernels.Service;

public sealed partial class KernelService
{
    public async Task<KernelSession> NewSessionAsync(string name, string specName, string? path, string? type, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        var acquisition = await store.GetOrCreateSessionAsync(
            name,
            ct => StartRecordedAsync(new StartKernelOptions { SpecName = specName }, progress, ct),
            IsAliveAsync,
            new SessionCreateOptions { Path = path, Type = type },
            cancellationToken).ConfigureAwait(false);
        if (acquisition.ReplacedKernelId is { } dead) await DropClientAsync(dead).ConfigureAwait(false);
        if (acquisition.Created && (await ProvidersAsync(cancellationToken).ConfigureAwait(false)).TryGet(acquisition.Kernel.Provider, out var provider))
            await provider.MirrorSessionAsync(acquisition.Session, acquisition.Kernel, cancellationToken).ConfigureAwait(false);
        return acquisition.Session;
    }

    /// <summary>Reuse only a kernel that answers: a session must not hand out a dead kernel.</summary>
    private async Task<bool> IsAliveAsync(KernelRecord record, CancellationToken cancellationToken)
    {
        if (!(await ProvidersAsync(cancellationToken).ConfigureAwait(false)).TryGet(record.Provider, out var provider)) return false;
        var probe = await provider.ProbeAsync(record, cancellationToken).ConfigureAwait(false);
        return probe.Liveness != KernelLiveness.Gone;
    }

    public async Task<IReadOnlyList<KernelSession>> GetSessionsAsync(CancellationToken cancellationToken)
    {
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        return await store.ListSessionsAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task RemoveSessionAsync(string name, bool stopKernel, CancellationToken cancellationToken)
    {
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        var session = await store.GetSessionAsync(name, cancellationToken).ConfigureAwait(false)
            ?? throw new KernelException(ErrorIds.SessionNotFound, KernelErrorCategory.ObjectNotFound, $"No session named '{name}'.", name);
        if (stopKernel)
        {
            // Jupyter Server's session DELETE shuts the kernel down too, so the mirror goes only with the kernel.
            var record = await store.GetKernelAsync(session.KernelId, cancellationToken).ConfigureAwait(false);
            if (record is not null && (await ProvidersAsync(cancellationToken).ConfigureAwait(false)).TryGet(record.Provider, out var provider))
                await provider.RemoveSessionMirrorAsync(session, record, cancellationToken).ConfigureAwait(false);
            await StopKernelAsync(session.KernelId, force: false, cancellationToken).ConfigureAwait(false);
        }
        await store.RemoveSessionAsync(name, CancellationToken.None).ConfigureAwait(false);
    }
}
