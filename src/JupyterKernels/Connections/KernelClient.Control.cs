using JupyterKernels.Messaging;

namespace JupyterKernels.Connections;

// Control-channel requests, one typed method per message type (as jupyter_client's KernelClient has). They travel
// on this client's own control socket, so interrupt, shutdown and subshell management from one process share the
// one connection the process keeps per kernel, and none of them waits behind a busy shell.
internal sealed partial class KernelClient
{
    /// <summary>interrupt_request (for kernels whose spec says interrupt_mode "message"). Waits for the reply.</summary>
    public async Task InterruptAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var reply = await RequestAsync(KernelChannel.Control, MessageTypes.InterruptRequest, RequestContent.Empty, timeout, cancellationToken).ConfigureAwait(false);
        if (reply.Content.GetStringOrNull(ContentKeys.Status) is ReplyStatuses.Error)
            throw new KernelException(ErrorIds.KernelInterruptFailed, KernelErrorCategory.InvalidOperation,
                $"Kernel {KernelId} refused interrupt_request: {reply.Content.GetStringOrNull(ContentKeys.Evalue)}", KernelId);
    }

    /// <summary>shutdown_request on control. Returns whether the kernel acknowledged it within <paramref name="timeout"/>
    /// (a kernel may exit before its reply gets out; the caller verifies the exit anyway).</summary>
    public async Task<bool> ShutdownAsync(bool restart, TimeSpan timeout, CancellationToken cancellationToken)
        => await TryRequestAsync(KernelChannel.Control, MessageTypes.ShutdownRequest, RequestContent.Shutdown(restart), timeout, cancellationToken).ConfigureAwait(false) is not null;

    /// <summary>create_subshell_request (protocol 5.5): the new subshell's id.</summary>
    public async Task<string> CreateSubshellAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var reply = await ControlOkAsync(MessageTypes.CreateSubshellRequest, RequestContent.Empty, timeout, cancellationToken).ConfigureAwait(false);
        return reply.Content.GetStringOrNull("subshell_id")
            ?? throw new KernelException(ErrorIds.InvalidMessage, KernelErrorCategory.ProtocolError,
                $"Kernel {KernelId} answered create_subshell_request without a subshell_id.", KernelId);
    }

    /// <summary>list_subshell_request: the ids the kernel has (the main shell is not listed).</summary>
    public async Task<IReadOnlyList<string>> ListSubshellsAsync(TimeSpan timeout, CancellationToken cancellationToken)
        => (await ControlOkAsync(MessageTypes.ListSubshellRequest, RequestContent.Empty, timeout, cancellationToken).ConfigureAwait(false))
            .Content.GetStringList("subshell_id");

    /// <summary>delete_subshell_request. An unknown id is SubShellNotFound.</summary>
    public async Task DeleteSubshellAsync(string subshellId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var reply = await RequestAsync(KernelChannel.Control, MessageTypes.DeleteSubshellRequest, RequestContent.DeleteSubshell(subshellId), timeout, cancellationToken).ConfigureAwait(false);
        if (reply.Content.GetStringOrNull(ContentKeys.Status) is ReplyStatuses.Error)
            throw new KernelException(ErrorIds.SubShellNotFound, KernelErrorCategory.ObjectNotFound,
                $"Kernel {KernelId} has no subshell {subshellId} ({reply.Content.GetStringOrNull(ContentKeys.Evalue)}).", subshellId);
    }

    private async Task<JupyterMessage> ControlOkAsync(string msgType, System.Text.Json.JsonElement content, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var reply = await RequestAsync(KernelChannel.Control, msgType, content, timeout, cancellationToken).ConfigureAwait(false);
        if (reply.Content.GetStringOrNull(ContentKeys.Status) is ReplyStatuses.Error)
            throw new KernelException(ErrorIds.InvalidMessage, KernelErrorCategory.InvalidOperation,
                $"Kernel {KernelId} refused {msgType}: {reply.Content.GetStringOrNull(ContentKeys.Evalue)}", KernelId);
        return reply;
    }
}
