namespace JupyterKernels.Providers.Gateway;

/// <summary>
/// Mirrors our sessions to a server's /api/sessions (Jupyter Server has it; Kernel Gateway does not: a 404 there
/// just means "nothing to mirror to"). The store stays the truth; a failed mirror never fails the session.
/// </summary>
internal static class GatewaySessionMirror
{
    public static async Task MirrorAsync(GatewayClient client, KernelSession session, KernelRecord kernel, Action<string> diagnostic, CancellationToken cancellationToken)
    {
        var remoteId = kernel.RemoteId ?? kernel.Id;
        try
        {
            var existing = await client.ListSessionsAsync(cancellationToken).ConfigureAwait(false);
            if (existing.Any(s => s.Name == session.Name && s.Kernel?.Id == remoteId)) return;
            var path = string.IsNullOrEmpty(session.Path) ? session.Name : session.Path;
            await client.CreateSessionAsync(path, session.Name, session.Type, null, remoteId, cancellationToken).ConfigureAwait(false);
        }
        catch (KernelException e)
        {
            diagnostic($"session '{session.Name}' not mirrored to the server: {e.Message}");
        }
    }

    public static async Task RemoveAsync(GatewayClient client, KernelSession session, KernelRecord kernel, Action<string> diagnostic, CancellationToken cancellationToken)
    {
        var remoteId = kernel.RemoteId ?? kernel.Id;
        try
        {
            foreach (var remote in await client.ListSessionsAsync(cancellationToken).ConfigureAwait(false))
                if (remote.Name == session.Name && remote.Kernel?.Id == remoteId)
                    await client.DeleteSessionAsync(remote.Id, cancellationToken).ConfigureAwait(false);
        }
        catch (KernelException e)
        {
            diagnostic($"mirrored session '{session.Name}' not removed from the server: {e.Message}");
        }
    }
}
