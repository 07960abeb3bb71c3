using JupyterKernels.Providers;
using JupyterKernels.Store;

namespace JupyterKernels.Service;

public sealed partial class KernelService
{
    public async Task<KernelSession> NewSessionAsync(string name, string specName, string? path, string? type, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        // A remote provider's sessions are the truth every machine shares: the session is looked up there first, by
        // path, or by name when no path is given (what another machine's New-KernelSession -Name published).
        var serverSession = await ServerSessionAtAsync(specName, path ?? name, byName: path is null ? name : null, cancellationToken).ConfigureAwait(false);
        var acquisition = await store.GetOrCreateSessionAsync(
            name,
            ct => serverSession is null
                ? StartRecordedAsync(new StartKernelOptions { SpecName = specName }, progress, ct)
                : AdoptSessionKernelAsync(serverSession.Value.Provider, serverSession.Value.Session, progress, ct),
            IsAliveAsync,
            new SessionCreateOptions { Path = path, Type = type },
            cancellationToken,
            // A server session's kernel is another client's: losing the claim never shuts it down.
            serverSession is null ? DiscardKernelAsync : static (_, _) => Task.CompletedTask).ConfigureAwait(false);
        if (acquisition.ReplacedKernelId is { } dead) await DropClientAsync(dead).ConfigureAwait(false);
        // A server keeps saying "starting" for a kernel no client has asked anything yet: connect, as a start does, and
        // record what the kernel answers instead of leaving the adopted kernel Starting until a sync.
        if (acquisition.Created && serverSession is not null && acquisition.Kernel.State == KernelState.Starting)
            await WaitUntilReadyAsync(acquisition.Kernel, progress, cancellationToken).ConfigureAwait(false);
        // "Create or reuse" reuses a session only for the kernelspec asked for: handing back another language's kernel
        // without a word would run the caller's code in the wrong kernel.
        if (!acquisition.Created && acquisition.ReplacedKernelId is null
            && !string.Equals(acquisition.Kernel.SpecName, specName, StringComparison.OrdinalIgnoreCase))
            throw new KernelException(ErrorIds.SessionExists, KernelErrorCategory.ResourceExists,
                $"Session '{name}' already exists with a '{acquisition.Kernel.SpecName}' kernel ({acquisition.Kernel.Id}), not '{specName}'; it was left as it is. " +
                $"Reuse it with -KernelName {acquisition.Kernel.SpecName}, pick another session name, or remove it first (Remove-KernelSession -Name {name}).", name);
        // A session the server already has needs no mirror: it is the server's own.
        if (acquisition.Created && serverSession is null && (await ProvidersAsync(cancellationToken).ConfigureAwait(false)).TryGet(acquisition.Kernel.Provider, out var provider)
            && provider is IKeepsSessions keeps)
            await keeps.MirrorSessionAsync(acquisition.Session, acquisition.Kernel, cancellationToken).ConfigureAwait(false);
        return acquisition.Session;
    }

    /// <summary>A kernel started for a session whose claim another process took over meanwhile: its record is already
    /// gone, so it is stopped here or nobody would (best effort within a bound; a failure is left to Sync).</summary>
    private async Task DiscardKernelAsync(KernelRecord record, CancellationToken cancellationToken)
    {
        if (!(await ProvidersAsync(cancellationToken).ConfigureAwait(false)).TryGet(record.Provider, out var provider)) return;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try { await provider.ShutdownAsync(record, now: true, cts.Token).ConfigureAwait(false); }
        catch (Exception e) when (e is KernelException or OperationCanceledException) { }
    }

    /// <summary>
    /// Jupyter's rule is one session per path: a server that already has a session for <paramref name="path"/> (a
    /// JupyterLab user's open notebook) answers a new one with that session and its kernel. So we use that kernel
    /// rather than start a second one nobody would see; when it runs another kernelspec than asked, we fail clearly.
    /// </summary>
    /// <param name="byName">Also a session of this name (at any path) counts.</param>
    private async Task<(IKernelProvider Provider, ProviderSession Session)?> ServerSessionAtAsync(string specName, string path, string? byName, CancellationToken cancellationToken)
    {
        var providers = await ProvidersAsync(cancellationToken).ConfigureAwait(false);
        var (provider, _) = providers.Resolve(specName);
        if (provider is not IKeepsSessions keeps) return null;
        var sessions = await keeps.ListSessionsAsync(cancellationToken).ConfigureAwait(false);
        var existing = sessions.FirstOrDefault(s => s.IsAt(path))
            ?? (byName is null ? null : sessions.FirstOrDefault(s => string.Equals(s.Name, byName, StringComparison.Ordinal)));
        if (existing is null) return null;
        if (!string.Equals(existing.Kernel.SpecName, specName, StringComparison.Ordinal))
            throw new KernelException(ErrorIds.SessionExists, KernelErrorCategory.ResourceExists,
                $"Provider '{provider.Name}' already has a session for path '{path}' ('{existing.Name}', kernel {existing.Kernel.RemoteId} running " +
                $"'{existing.Kernel.SpecName}', not '{specName}'); Jupyter allows one session per path. Use that kernelspec, another path, or stop that session.", path);
        return (provider, existing);
    }

    /// <summary>The kernel of a server's session, as a record: the one we already have for it, or a new adopted one.</summary>
    private async Task<KernelRecord> AdoptSessionKernelAsync(IKernelProvider provider, ProviderSession session, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        var known = (await store.ListKernelsAsync(provider.Name, cancellationToken).ConfigureAwait(false))
            .FirstOrDefault(r => (r.RemoteId ?? r.Id) == session.Kernel.RemoteId);
        if (known is not null) return known;
        progress?.Report($"Provider '{provider.Name}' already has session '{session.Name}' for '{session.Path}': adopting its kernel {session.Kernel.RemoteId}");
        var id = await store.GetKernelAsync(session.Kernel.RemoteId, cancellationToken).ConfigureAwait(false) is null ? session.Kernel.RemoteId : Guid.NewGuid().ToString();
        var record = session.Kernel.ToAdoptedRecord(provider.Name, id, DateTimeOffset.UtcNow) with { Owner = $"{Environment.UserName}@{Environment.MachineName}" };
        await store.AddKernelAsync(record, cancellationToken).ConfigureAwait(false);
        return record;
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

    public async Task RemoveSessionAsync(string name, bool stopKernel, bool force, CancellationToken cancellationToken)
    {
        var store = await StoreAsync(cancellationToken).ConfigureAwait(false);
        var session = await store.GetSessionAsync(name, cancellationToken).ConfigureAwait(false)
            ?? throw new KernelException(ErrorIds.SessionNotFound, KernelErrorCategory.ObjectNotFound, $"No session named '{name}'.", name);
        if (stopKernel)
        {
            // Before the mirror goes: on Jupyter Server that alone would end the kernel.
            if (!force) await RefuseIfAnotherProcessRunsCodeAsync(session.KernelId, $"Removing session '{name}' (which stops its kernel)", cancellationToken).ConfigureAwait(false);
            // Jupyter Server's session DELETE shuts the kernel down too, so the mirror goes only with the kernel.
            var record = await store.GetKernelAsync(session.KernelId, cancellationToken).ConfigureAwait(false);
            if (record is not null && (await ProvidersAsync(cancellationToken).ConfigureAwait(false)).TryGet(record.Provider, out var provider)
                && provider is IKeepsSessions keeps)
                await keeps.RemoveSessionMirrorAsync(session, record, cancellationToken).ConfigureAwait(false);
            await StopKernelAsync(session.KernelId, force: false, waitForExit: true, cancellationToken).ConfigureAwait(false);
        }
        await store.RemoveSessionAsync(name, CancellationToken.None).ConfigureAwait(false);
    }
}
