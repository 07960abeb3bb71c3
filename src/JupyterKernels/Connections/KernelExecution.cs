using System.Threading.Channels;
using JupyterKernels.Messaging;

namespace JupyterKernels.Connections;

/// <summary>
/// A running execution: outputs (and input requests) in arrival order on <see cref="Outputs"/>, which completes
/// when the execution is done; <see cref="Completion"/> gives the reply, or throws a <see cref="KernelException"/>
/// (timeout, kernel died, cancelled). Completion is settled by the time <see cref="WaitForOutputs"/> reports the end
/// of the outputs; a reader of <see cref="Outputs"/> awaits it (the owner of the kernel's record may still be telling a
/// death from a restart).
/// </summary>
public sealed class KernelExecution
{
    private readonly OutputQueue _outputs;
    private readonly Func<DateTimeOffset?> _notRespondingSince;

    internal KernelExecution(string kernelId, string msgId, OutputQueue outputs, Task<KernelExecuteReply> completion,
        Func<DateTimeOffset?>? notRespondingSince = null)
    {
        _notRespondingSince = notRespondingSince ?? (() => null);
        KernelId = kernelId;
        MsgId = msgId;
        _outputs = outputs;
        Completion = completion;
    }

    /// <summary>The same execution, ending with <paramref name="completion"/>: what the owner of the kernel's record
    /// makes of this one's end (a process-gone death that its record shows to be a restart).</summary>
    internal KernelExecution WithCompletion(Task<KernelExecuteReply> completion)
        => new(KernelId, MsgId, _outputs, completion, _notRespondingSince);

    public string KernelId { get; }
    public string MsgId { get; }

    /// <summary>The outputs, for one reader: await them, or block for them with <see cref="WaitForOutputs"/>.</summary>
    public ChannelReader<KernelOutput> Outputs => _outputs;

    public Task<KernelExecuteReply> Completion { get; }

    /// <summary>Since when the kernel has been silent while this execution waits (null while it answers): the caller
    /// may report it (KernelNotResponding) and keeps waiting; the kernel is not known to be dead.</summary>
    public DateTimeOffset? NotRespondingSince => _notRespondingSince();

    /// <summary>
    /// For a caller that owns a thread and blocks (a PowerShell pipeline thread): waits until an output can be read
    /// from <see cref="Outputs"/>, the outputs have ended, or <paramref name="timeout"/> passes. The connection wakes
    /// the caller directly, without the thread-pool hop of blocking on <c>Outputs.WaitToReadAsync</c>.
    /// Throws <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public OutputWaitResult WaitForOutputs(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var result = _outputs.WaitToRead(timeout, cancellationToken);
        if (result != OutputWaitResult.Completed || Completion.IsCompleted) return result;
        // The outputs ended and Completion follows a moment later (its owner reads the kernel's record first): the end
        // is reported once Completion has settled, so the caller reads it without a wait of its own.
        var woke = WaitHandle.WaitAny(new[] { ((IAsyncResult)Completion).AsyncWaitHandle, cancellationToken.WaitHandle }, timeout);
        cancellationToken.ThrowIfCancellationRequested();
        return woke == 0 ? result : OutputWaitResult.TimedOut;
    }

    /// <summary>
    /// The protocol's word on a finished execution beyond its outputs: an <c>"aborted"</c> reply means the kernel
    /// skipped this cell because an earlier one failed with stop_on_error (ExecutionAborted); null otherwise.
    /// </summary>
    public KernelException? AbortedError(KernelExecuteReply reply) =>
        !string.Equals(reply.Status, ReplyStatuses.Aborted, StringComparison.OrdinalIgnoreCase) ? null
        : reply.Interrupted
            ? new KernelException(ErrorIds.ExecutionInterrupted, KernelErrorCategory.OperationStopped,
                "The execution was interrupted (by Stop-KernelExecution, a timeout or Ctrl+C elsewhere, or another client of the kernel).", KernelId)
            : new KernelException(ErrorIds.ExecutionAborted, KernelErrorCategory.OperationStopped,
                "The execution was aborted by the kernel (an earlier execution failed with stop_on_error).", KernelId);
}
