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
    private readonly bool _raw;
    private readonly TimeSpan _idleGrace;
    private readonly Func<JupyterMessage, string, CancellationToken, ValueTask> _sendInputReply;
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
    private DateTimeOffset _lastIOPub = DateTimeOffset.UtcNow;
    private volatile string? _startedUnder;

    public ExecuteRequest(string kernelId, JupyterMessage request, bool raw, TimeSpan idleGrace,
        Func<JupyterMessage, string, CancellationToken, ValueTask> sendInputReply) : base(request)
    {
        _kernelId = kernelId;
        _raw = raw;
        _idleGrace = idleGrace;
        _sendInputReply = sendInputReply;
    }

    public OutputQueue Outputs => _outputs;
    public Task<KernelExecuteReply> Completion => _completion.Task;
    public override bool IsCompleted => Volatile.Read(ref _done);

    /// <summary>True once the kernel has begun this request: it published something for it on IOPub (busy,
    /// execute_input, output). Until then the request sits in the kernel's queue, behind work that may be another
    /// client's — which an interrupt would kill instead of ours.</summary>
    public bool Started => _startedUnder is not null;

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
            if (_raw) _outputs.TryWrite(OutputConverter.Raw(_kernelId, channel, message));
            switch (channel)
            {
                case KernelChannel.IOPub:
                    _lastIOPub = DateTimeOffset.UtcNow;
                    _startedUnder ??= message.Header.Session ?? "";
                    if (message.MsgType == "status")
                    {
                        if (message.Content.GetStringOrNull("execution_state") == "idle") _idle = true;
                    }
                    else if (!_raw && OutputConverter.FromIOPub(_kernelId, message) is { } output)
                    {
                        if (output is KernelError) _sawIOPubError = true;
                        _outputs.TryWrite(output);
                    }
                    else if (message.MsgType == "error") _sawIOPubError = true;
                    break;
                case KernelChannel.Shell when message.MsgType == "execute_reply":
                    _reply = message;
                    break;
                case KernelChannel.Stdin when message.MsgType == "input_request":
                    if (!_raw) _outputs.TryWrite(InputRequest(message));
                    break;
            }
            result = TryComplete(force: false);
        }
        if (result is not null) Publish(result);
    }

    public override void OnTick(DateTimeOffset now)
    {
        KernelExecuteReply? result = null;
        lock (_gate)
        {
            // A kernel that answers but never publishes idle (or whose idle was lost) must not hang the caller.
            if (!_done && _reply is not null && !_idle && now - _lastIOPub > _idleGrace) result = TryComplete(force: true);
        }
        if (result is not null) Publish(result);
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
        var status = content.GetStringOrNull("status") ?? "ok";
        // Kernels that report the error only in the reply (allowed by the spec) still reach the user as an error.
        if (status == "error" && !_sawIOPubError && !_raw)
            _outputs.TryWrite(OutputConverter.Error(_kernelId, _reply, content));
        // "aborted" (no execution_count, deprecated but still sent by ipykernel) is reported once, by the reply's
        // status: callers (Invoke-KernelCode) turn it into an ExecutionAborted error.
        return new KernelExecuteReply
        {
            KernelId = _kernelId,
            ParentMsgId = MsgId,
            SubShellId = Request.Header.SubshellId,
            Status = status,
            ExecutionCount = content.GetInt32OrNull("execution_count"),
            Duration = _elapsed.Elapsed,
        };
    }

    private KernelInputRequest InputRequest(JupyterMessage message) =>
        new((value, ct) => _sendInputReply(message, value, ct))
        {
            KernelId = _kernelId,
            ParentMsgId = MsgId,
            SubShellId = Request.Header.SubshellId,
            Prompt = message.Content.GetStringOrNull("prompt") ?? "",
            Password = message.Content.GetBooleanOrNull("password") ?? false,
        };
}
