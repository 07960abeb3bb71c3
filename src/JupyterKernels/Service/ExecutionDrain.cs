using JupyterKernels.Connections;

namespace JupyterKernels.Service;

/// <summary>
/// Reads a <see cref="KernelExecution"/> to its end for a caller that owns one thread and blocks on it (a PowerShell
/// pipeline thread): the outputs in arrival order, then one <see cref="ExecutionOutcome"/>. The reconciliation lives
/// here, not in the caller: an output failure (timeout, kernel died) normally faults <see cref="KernelExecution.Completion"/>
/// too, so it is reported once, from Completion (which <see cref="EndAsync"/> throws); otherwise it is reported after
/// the reply, followed by the protocol's "aborted" status (ExecutionAborted).
/// </summary>
public sealed class ExecutionDrain
{
    private readonly KernelExecution _execution;
    private bool _batchOpen;
    private Exception? _failure;

    public ExecutionDrain(KernelExecution execution)
    {
        ArgumentNullException.ThrowIfNull(execution);
        _execution = execution;
    }

    /// <summary>
    /// The next step: true with an output to write; true with null after each batch of outputs and each
    /// <paramref name="interval"/> without one (the caller runs its queued work, reports a silent kernel); false once
    /// the outputs have ended or failed. <paramref name="block"/> runs the blocking wait it is given, as the caller
    /// blocks (e.g. a cmdlet's Block: woken directly by the connection, no thread-pool hop per output); the caller's
    /// own cancellation of that wait propagates, any other failure ends the outputs and is kept for the outcome.
    /// </summary>
    public bool TryNext(Func<Func<CancellationToken, OutputWaitResult>, OutputWaitResult> block, TimeSpan interval, out KernelOutput? output)
    {
        ArgumentNullException.ThrowIfNull(block);
        output = null;
        if (_failure is not null) return false;
        if (!_batchOpen)
        {
            if (block(ct => WaitForOutputs(interval, ct)) == OutputWaitResult.Completed) return false;
            _batchOpen = true;
        }
        if (_execution.Outputs.TryRead(out output)) return true;
        _batchOpen = false;
        output = null;
        return true;
    }

    private OutputWaitResult WaitForOutputs(TimeSpan interval, CancellationToken cancellationToken)
    {
        try
        {
            return _execution.WaitForOutputs(interval, cancellationToken);
        }
        catch (Exception e) when (!(e is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            _failure = e;
            return OutputWaitResult.Completed;
        }
    }

    /// <summary>The caller could not deliver the outputs (its own write failed): the reading ends, and the failure is
    /// reported with the outcome, like an output failure.</summary>
    public void Fail(Exception failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        _failure ??= failure;
    }

    /// <summary>
    /// Once the outputs have ended: the reply and the errors to report after it, in order. Throws what
    /// <see cref="KernelExecution.Completion"/> throws (timeout, kernel died, cancelled): that one failure stands for
    /// an output failure with the same cause.
    /// </summary>
    public async Task<ExecutionOutcome> EndAsync()
    {
        var reply = await _execution.Completion.ConfigureAwait(false);
        var errors = new List<Exception>(2);
        if (_failure is not null) errors.Add(_failure);
        if (_execution.AbortedError(reply) is { } aborted) errors.Add(aborted);
        return new ExecutionOutcome(reply, errors);
    }
}

/// <summary>How an execution ended: its reply, and the errors to report (an output failure, ExecutionAborted).</summary>
public sealed record ExecutionOutcome(KernelExecuteReply Reply, IReadOnlyList<Exception> Errors);
