using JupyterKernels.Connections;
using JupyterKernels.Messaging;

namespace JupyterKernels.Providers.Local;

/// <summary>
/// Kernels started by other Jupyter clients (jupyter console, a KernelManager, jupyter kernel), known only by their
/// connection file. A file is adopted only when its kernel answers kernel_info signed with the file's key (the file is
/// not stale and really is that kernel's). No pid is recorded: the kernel is not our child and a pid we cannot prove
/// is never signalled; it is stopped with shutdown_request and verified by its heartbeat.
/// </summary>
internal static class LocalKernelAdoption
{
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(2);

    /// <summary>The record of the kernel behind <paramref name="connectionFile"/>, or null (with why) when it does not answer.</summary>
    public static async Task<(KernelRecord? Record, string Why)> TryAdoptAsync(string connectionFile, string id, CancellationToken cancellationToken)
    {
        ConnectionInfo info;
        try
        {
            info = await ConnectionFile.ReadAsync(connectionFile, cancellationToken).ConfigureAwait(false);
        }
        catch (KernelException e)
        {
            return (null, $"{e.ErrorId}: {e.Message}");
        }
        if (!await HeartbeatProbe.BeatsAsync(info, AnswerTimeout, cancellationToken).ConfigureAwait(false))
            return (null, "its heartbeat does not answer (a stale file of a kernel that is gone?)");
        await using var channels = await ZmtpKernelChannels.ConnectAsync(info, Guid.NewGuid().ToString("N"), cancellationToken).ConfigureAwait(false);
        await using var client = new KernelClient(id, channels, new KernelClientOptions());
        // Control first (answers while the shell is busy), shell for kernels that only answer there.
        var reply = await client.TryRequestAsync(KernelChannel.Control, MessageTypes.KernelInfoRequest, RequestContent.Empty, AnswerTimeout, cancellationToken).ConfigureAwait(false)
            ?? await client.TryRequestAsync(KernelChannel.Shell, MessageTypes.KernelInfoRequest, RequestContent.Empty, AnswerTimeout, cancellationToken).ConfigureAwait(false);
        if (reply is null)
            return (null, "its heartbeat answers but kernel_info does not (busy kernel without kernel_info on control, or a key that does not match)");
        var kernelInfo = KernelInfo.FromContent(reply.Content);
        var now = DateTimeOffset.UtcNow;
        var record = new KernelRecord
        {
            Id = id,
            Provider = LocalKernelProvider.ProviderName,
            SpecName = info.KernelName.Length > 0 ? info.KernelName : kernelInfo.LanguageName,
            DisplayName = $"{kernelInfo.Implementation} ({kernelInfo.LanguageName}), adopted",
            // Interrupts go as interrupt_request: a signal needs a pid we could prove, and we have none.
            InterruptMode = "message",
            CreatedAt = File.GetCreationTimeUtc(connectionFile) is var created && created.Year > 1601 ? new DateTimeOffset(created, TimeSpan.Zero) : now,
            LastSeenAt = now,
            State = KernelState.Idle,
            Owner = "adopted",
            ProviderData = new LocalKernelData { ConnectionInfoJson = ConnectionFile.Serialize(info), ConnectionFile = Path.GetFullPath(connectionFile), Adopted = true }.ToJson(),
        };
        return (record, "its kernel answers kernel_info");
    }

    /// <summary>The id an adopted kernel gets: jupyter_client's file name kernel-&lt;uuid&gt;.json gives it, when free.</summary>
    public static string IdFor(string connectionFile, Func<string, bool> taken)
    {
        var name = Path.GetFileNameWithoutExtension(connectionFile);
        if (name.StartsWith("kernel-", StringComparison.Ordinal) && Guid.TryParse(name["kernel-".Length..], out var g) && !taken(g.ToString()))
            return g.ToString();
        return Guid.NewGuid().ToString();
    }

    /// <summary>shutdown_request was sent; the kernel is stopped once its heartbeat is silent. Never a signal.</summary>
    public static async Task<bool> WaitUntilSilentAsync(ConnectionInfo info, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (!await HeartbeatProbe.BeatsAsync(info, TimeSpan.FromMilliseconds(500), cancellationToken).ConfigureAwait(false)) return true;
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
        return false;
    }
}
