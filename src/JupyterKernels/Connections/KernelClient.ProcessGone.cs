namespace JupyterKernels.Connections;

// The kernel's process is gone: a death, or a restart by another client? The client reports what it saw; its owner,
// which holds the record of every restart, decides and tells it.
internal sealed partial class KernelClient
{
    /// <summary>How long a client whose kernel process is gone waits for its owner's word before the death stands.</summary>
    internal static readonly TimeSpan RestartVerdictWait = TimeSpan.FromSeconds(10);

    private TaskCompletionSource<string?>? _restartVerdict;

    /// <summary>
    /// The kernel's process is gone (the argument says how). Raised on the thread pool, never on the transport's I/O
    /// thread. A handler that knows more (the store shows another client restarting the kernel, or a new process
    /// recorded since this client connected) answers with <see cref="ReportRestartEvidence"/>: the calls in flight then
    /// end with KernelRestarted instead of KernelDied. Without a handler the death stands at once.
    /// </summary>
    public event EventHandler<string>? ProcessGone;

    /// <summary>The owner's answer to <see cref="ProcessGone"/>: the evidence of a restart, or null when the kernel died.</summary>
    public void ReportRestartEvidence(string? evidence) => Volatile.Read(ref _restartVerdict)?.TrySetResult(evidence);

    /// <summary>Reports the gone process and waits for the owner's verdict (shared by every caller asking meanwhile).</summary>
    private async ValueTask<string?> RestartEvidenceAsync(string gone, CancellationToken cancellationToken)
    {
        if (ProcessGone is not { } handlers) return null;
        var verdict = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (Interlocked.CompareExchange(ref _restartVerdict, verdict, null) is { } asked) verdict = asked;
        else
            ThreadPool.UnsafeQueueUserWorkItem(static s =>
            {
                try { s.handlers(s.client, s.gone); }
                catch { s.verdict.TrySetResult(null); /* a handler's fault is its own: the death stands */ }
            }, (handlers, client: this, gone, verdict), preferLocal: false);
        try
        {
            return await verdict.Task.WaitAsync(RestartVerdictWait, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return null;
        }
        finally
        {
            Interlocked.CompareExchange(ref _restartVerdict, null, verdict);
        }
    }
}
