using System.Diagnostics;
using JupyterKernels.Messaging;

namespace JupyterKernels.Connections;

/// <summary>
/// An execute_request in flight: streams outputs in arrival order, answers input requests through the caller,
/// and completes when the execute_reply and the matching IOPub idle have both arrived.
/// </summary>
internal sealed class ExecuteRequest : PendingRequest
{
    private readonly string _kernelId;
    private readonly string? _kernelName;
    private readonly bool _raw;
    private readonly bool _emitRaw;
    private readonly bool _emitMessages;
    private readonly TimeSpan _idleGrace;
    private readonly TimeSpan _replyGrace;
    private readonly Func<JupyterMessage, string, CancellationToken, ValueTask> _sendInputReply;
    private readonly Func<CancellationToken, Task>? _interrupt;
    private readonly OutputQueue _outputs = new();
    // Completed on the connection's I/O thread with synchronous continuations: its one awaiter is KernelClient's
    // supervision, which publishes the result through a task of its own that resumes callers asynchronously. Saves a
    // thread-pool hand-off per execution (bench: roundtrip).
    private readonly TaskCompletionSource<KernelExecuteReply> _completion = new();
    private readonly Stopwatch _elapsed = Stopwatch.StartNew();
    private readonly object _gate = new();
    private JupyterMessage? _reply;
    private bool _done;
    private bool _idle;
    private bool _sawIOPubError;
    private bool _abandoned;
    private DateTimeOffset _lastIOPub = DateTimeOffset.UtcNow;
    private DateTimeOffset _idleAt;
    private volatile string? _startedUnder;
    private int? _executionCount;
    private int _outputCount;

    /// <param name="raw">No typed outputs: every message as a <see cref="KernelRawMessage"/> (or, with
    /// <paramref name="emitMessages"/>, as a <see cref="KernelProtocolMessage"/> only).</param>
    /// <param name="emitMessages">Every message as a <see cref="KernelProtocolMessage"/> (beside the typed outputs
    /// unless <paramref name="raw"/>).</param>
    public ExecuteRequest(string kernelId, JupyterMessage request, bool raw, bool emitMessages, TimeSpan idleGrace, TimeSpan replyGrace,
        Func<JupyterMessage, string, CancellationToken, ValueTask> sendInputReply, Func<CancellationToken, Task>? interrupt = null,
        string? kernelName = null) : base(request)
    {
        _kernelName = kernelName;
        _interrupt = interrupt;
        _kernelId = kernelId;
        _raw = raw;
        _emitRaw = raw && !emitMessages;
        _emitMessages = emitMessages;
        _idleGrace = idleGrace;
        _replyGrace = replyGrace;
        _sendInputReply = sendInputReply;
    }

    public OutputQueue Outputs => _outputs;
    public Task<KernelExecuteReply> Completion => _completion.Task;
    public override bool IsCompleted => Volatile.Read(ref _done);

    /// <summary>True once the kernel has begun this request: it published something for it on IOPub (busy,
    /// execute_input, output). Until then the request sits in the kernel's queue, behind work that may be another
    /// client's — which an interrupt would kill instead of ours.</summary>
    public bool Started => _startedUnder is not null;

    /// <summary>The kernel ended this request because it was interrupted: an error reply naming KeyboardInterrupt
    /// (ipykernel, xeus-python) or IRkernel's reply status "abort" (which it sends for an interrupted cell, where
    /// ipykernel's "aborted" means a request skipped after an earlier error).</summary>
    public bool EndedByInterrupt { get; private set; }

    /// <summary>True once the caller gave up on it (timeout, Ctrl+C) and this client interrupts the kernel.</summary>
    public bool Abandoned { get { lock (_gate) return _abandoned; } }

    /// <summary>When the kernel last published anything for this request (or when it was sent).</summary>
    public DateTimeOffset LastIOPub { get { lock (_gate) return _lastIOPub; } }

    /// <summary>The kernel process (header.session) that began this request; null while it is queued.</summary>
    public string? StartedUnderSession => _startedUnder;

    public override void OnMessage(KernelChannel channel, JupyterMessage message)
    {
        KernelExecuteReply? result;
        lock (_gate)
        {
            if (_done) return;
            if (_emitRaw) _outputs.TryWrite(OutputConverter.Raw(_kernelId, channel, message, _kernelName));
            KernelOutput? output = null;
            switch (channel)
            {
                case KernelChannel.IOPub:
                    _lastIOPub = DateTimeOffset.UtcNow;
                    _startedUnder ??= message.Header.Session ?? "";
                    if (message.MsgType == MessageTypes.Status)
                    {
                        if (OutputConverter.ExecutionState(message) == ExecutionStates.Idle && !_idle)
                        {
                            _idle = true;
                            _idleAt = DateTimeOffset.UtcNow;
                        }
                    }
                    else if (message.MsgType == MessageTypes.ExecuteInput)
                    {
                        // Every output that follows belongs to this numbered execution (display data carries no count).
                        _executionCount = OutputConverter.ExecutionCount(message);
                    }
                    else if ((!_raw || _emitMessages) && (output = OutputConverter.FromIOPub(_kernelId, message, Stamp())) is not null)
                    {
                        _outputCount++;
                        if (output is KernelError) _sawIOPubError = true;
                    }
                    else if (message.MsgType == MessageTypes.Error) _sawIOPubError = true;
                    break;
                case KernelChannel.Shell when message.MsgType == MessageTypes.ExecuteReply:
                    _reply = message;
                    break;
            }
            if (_emitMessages) _outputs.TryWrite(OutputConverter.Message(_kernelId, channel, message, output, _kernelName));
            // The error our own interrupt caused (KeyboardInterrupt) is not the user's: the caller reports the timeout
            // or cancellation that made us interrupt, once.
            if (!_raw && output is not null && (output is not KernelError || !_abandoned)) _outputs.TryWrite(output);
            if (!_raw && channel == KernelChannel.Stdin && message.MsgType == MessageTypes.InputRequest) _outputs.TryWrite(InputRequest(message));
            result = TryComplete(force: false);
        }
        if (result is not null) Publish(result);
    }

    public override void OnTick(DateTimeOffset now)
    {
        KernelExecuteReply? result = null;
        bool replyMissing = false;
        lock (_gate)
        {
            // A kernel that answers but never publishes idle (or whose idle was lost) must not hang the caller.
            if (!_done && _reply is not null && !_idle && now - _lastIOPub > _idleGrace) result = TryComplete(force: true);
            // The reverse: the kernel went idle for this request but never replied (ipykernel 6.x does so for a request
            // it drops, e.g. code containing NUL, which KernelClient refuses before sending). Reply and idle travel on
            // different sockets, so the reply may trail the idle a little; past the grace period nothing more will come
            // for it, and waiting on would be waiting for ever.
            else if (!_done && _reply is null && _idle && now - _idleAt > _replyGrace) replyMissing = true;
        }
        if (result is not null) Publish(result);
        if (replyMissing)
        {
            Fail(new KernelException(ErrorIds.ExecutionReplyMissing, KernelErrorCategory.ProtocolError,
                $"Kernel {_kernelId} finished the request (it went idle) but sent no execute_reply within {_replyGrace.TotalSeconds:0.#} s; " +
                "the kernel may have dropped the request without answering it.", _kernelId));
        }
    }

    /// <summary>
    /// The caller gave up (timeout, Ctrl+C, input it cannot answer) and is about to interrupt the kernel: from now on
    /// the kernel's errors are consequences of that interrupt and are not written as outputs.
    /// </summary>
    public void Abandon()
    {
        lock (_gate) _abandoned = true;
    }

    public override void Fail(Exception error)
    {
        lock (_gate)
        {
            if (_done) return;
            _done = true;
        }
        _completion.TrySetException(error);
        _outputs.Complete();
    }

    /// <summary>
    /// Outside the lock: completing runs the supervision's continuation inline, and that publishes the caller's
    /// Completion before the outputs end — so a caller that drains the outputs, then waits for Completion, finds it
    /// done instead of sleeping once more.
    /// </summary>
    private void Publish(KernelExecuteReply result)
    {
        _completion.TrySetResult(result);
        _outputs.Complete();
    }

    /// <summary>Under the lock: the reply to publish once both reply and idle are in (or <paramref name="force"/>).</summary>
    private KernelExecuteReply? TryComplete(bool force)
    {
        if (_reply is null || (!_idle && !force)) return null;
        _done = true;
        var content = _reply.Content;
        var status = OutputConverter.ReplyStatus(_reply) ?? ReplyStatuses.Ok;
        // Kernels that report the error only in the reply (allowed by the spec) still reach the user as an error.
        // "abort" is what some kernels send instead of the spec's "aborted": one name for callers.
        EndedByInterrupt = status == ReplyStatuses.Abort && _startedUnder is not null
            || status == ReplyStatuses.Error && content.GetStringOrNull(ContentKeys.Ename) == "KeyboardInterrupt";
        if (status == ReplyStatuses.Abort) status = ReplyStatuses.Aborted;
        if (status == ReplyStatuses.Error && !_sawIOPubError && !_raw && !_abandoned)
            _outputs.TryWrite(OutputConverter.Error(_kernelId, _reply, content, Stamp() with { ExecutionCount = OutputConverter.ExecutionCount(_reply) ?? _executionCount }));
        // "aborted" (no execution_count, deprecated but still sent by ipykernel) is reported once, by the reply's
        // status: callers (Invoke-KernelCode) turn it into an ExecutionAborted error.
        return new KernelExecuteReply
        {
            KernelId = _kernelId,
            KernelName = _kernelName,
            ParentMsgId = MsgId,
            SubShellId = Request.Header.SubshellId,
            Status = status,
            Interrupted = EndedByInterrupt,
            ExecutionCount = OutputConverter.ExecutionCount(_reply),
            Duration = _elapsed.Elapsed,
        };
    }

    /// <summary>Under the lock: what the next output is stamped with.</summary>
    private OutputStamp Stamp() => new(_kernelName, _executionCount, _outputCount);

    /// <summary>See <see cref="KernelInputRequest.DeclineAsync"/>.</summary>
    private async ValueTask DeclineInputAsync(JupyterMessage inputRequest, CancellationToken cancellationToken)
    {
        if (_interrupt is null || Request.Header.SubshellId is not null)
        {
            await _sendInputReply(inputRequest, "", cancellationToken).ConfigureAwait(false);
            return;
        }
        Abandon();
        await _interrupt(cancellationToken).ConfigureAwait(false);
    }

    private KernelInputRequest InputRequest(JupyterMessage message) =>
        new((value, ct) => _sendInputReply(message, value, ct), ct => DeclineInputAsync(message, ct))
        {
            KernelId = _kernelId,
            KernelName = _kernelName,
            ExecutionCount = _executionCount,
            ParentMsgId = MsgId,
            SubShellId = Request.Header.SubshellId,
            Prompt = message.Content.GetStringOrNull("prompt") ?? "",
            Password = message.Content.GetBooleanOrNull("password") ?? false,
        };
}
