using JupyterKernels.Messaging;

namespace JupyterKernels.Connections;

// Readiness of a new connection: what a busy kernel still answers (control, IOPub), never its busy shell.
internal sealed partial class KernelClient
{
    /// <summary>
    /// Readiness that never waits on a busy shell: kernel_info_request on the <b>control</b> channel (a kernel busy
    /// with a long cell still answers there, and publishes busy/idle for it, which proves the IOPub subscription),
    /// until a reply arrives AND IOPub traffic was seen. Kernels that do not answer kernel_info on control are asked
    /// on shell too after <see cref="ShellFallbackAfter"/> (jupyter_client's wait_for_ready asks only there).
    /// Fails at once if the kernel dies; a timeout is KernelStartTimeout.
    /// </summary>
    public async Task<KernelInfo> WaitForReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var started = Environment.TickCount64;
        try
        {
            // One control request stays outstanding until it is answered: re-sending it every second would put more
            // control requests in front of the kernel while it may already run our next cell, and ipykernel 6 points
            // its stdout at the parent of the last control request it handled (outputs would be mis-attributed).
            Task<JupyterMessage?>? control = null;
            Task<JupyterMessage?>? shell = null;
            // A kernel known to answer nothing on control is asked on shell at once (and control is not asked).
            bool askControl = Channels?.ControlAnswers != false;
            while (true)
            {
                ThrowIfTerminal();
                if (askControl) control ??= TryRequestAsync(KernelChannel.Control, MessageTypes.KernelInfoRequest, RequestContent.Empty, timeout, deadline.Token);
                if (shell is null && (!askControl || Environment.TickCount64 - started >= ShellFallbackAfter.TotalMilliseconds))
                    shell = TryRequestAsync(KernelChannel.Shell, MessageTypes.KernelInfoRequest, RequestContent.Empty, ReadyAttempt, deadline.Token);
                var waits = new List<Task> { Task.Delay(ReadyAttempt, deadline.Token) };
                if (control is not null) waits.Add(control);
                if (shell is not null) waits.Add(shell);
                await Task.WhenAny(waits).ConfigureAwait(false);
                deadline.Token.ThrowIfCancellationRequested();
                JupyterMessage? reply = null;
                if (control is { IsCompleted: true }) { reply = await control.ConfigureAwait(false); control = null; if (reply is not null) LearnChannels(controlAnswers: true); }
                if (reply is null && shell is { IsCompleted: true })
                {
                    reply = await shell.ConfigureAwait(false);
                    shell = null;
                    // Shell answered while a control request sent earlier is still unanswered: this kernel does not
                    // answer on control (a kernel that does answers control first, busy or not).
                    if (reply is not null && control is not null) LearnChannels(controlAnswers: false);
                }
                if (reply is not null)
                {
                    Info = KernelInfo.FromContent(reply.Content);
                    if (await IOPubProvenAsync(deadline.Token).ConfigureAwait(false)) return Info;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new KernelException(ErrorIds.KernelStartTimeout, KernelErrorCategory.OperationTimeout,
                $"Kernel {KernelId} did not become ready within {timeout.TotalSeconds:0.#} s (no kernel_info_reply on control or shell with IOPub traffic).", KernelId);
        }
    }

    /// <summary>How long after a kernel_info_reply its busy/idle may still be on the way.</summary>
    private static readonly TimeSpan IOPubGrace = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// After a kernel_info_reply: true once IOPub traffic proved the subscription (and every request channel has
    /// connected). The kernel publishes busy before the reply and idle right after it, so they arrive with the reply
    /// or, if the subscription was not active yet when the kernel published them, never: this waits for them on a
    /// signal for a short grace only, and the caller asks again at once instead of sleeping on a timer.
    /// </summary>
    private async Task<bool> IOPubProvenAsync(CancellationToken cancellationToken)
    {
        if (!_channels.IOPubReady)
        {
            try { await _iopubSeen.Task.WaitAsync(IOPubGrace, cancellationToken).ConfigureAwait(false); }
            catch (TimeoutException) { return false; }
        }
        if (_channels.RequestChannelsConnected) return true;
        // Rare: IOPub is proven but stdin (say) has not finished its handshake; the transport raises no signal for
        // that, so look again shortly (bounded by the caller's deadline).
        await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        return _channels.RequestChannelsConnected;
    }

    private static readonly TimeSpan ReadyAttempt = TimeSpan.FromSeconds(1);

    /// <summary>How long readiness asks control alone before asking shell too (kernels that ignore kernel_info on
    /// control). Long enough for a starting kernel to bind control; a busy kernel has answered on control by then.</summary>
    public static readonly TimeSpan ShellFallbackAfter = TimeSpan.FromSeconds(3);

    public async Task<KernelInfo> GetKernelInfoAsync(TimeSpan timeout, CancellationToken cancellationToken, KernelChannel channel = KernelChannel.Control)
    {
        var reply = await RequestAsync(channel, MessageTypes.KernelInfoRequest, RequestContent.Empty, timeout, cancellationToken).ConfigureAwait(false);
        return Info = KernelInfo.FromContent(reply.Content);
    }
}
