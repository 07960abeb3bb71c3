using System.Diagnostics;
using System.Threading.Channels;
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
    private readonly Channel<KernelOutput> _outputs = Channel.CreateUnbounded<KernelOutput>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TaskCompletionSource<KernelExecuteReply> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Stopwatch _elapsed = Stopwatch.StartNew();
    private readonly object _gate = new();
    private JupyterMessage? _reply;
    private bool _idle;
    private bool _sawIOPubError;
    private DateTimeOffset _lastIOPub = DateTimeOffset.UtcNow;

    public ExecuteRequest(string kernelId, JupyterMessage request, bool raw, TimeSpan idleGrace,
        Func<JupyterMessage, string, CancellationToken, ValueTask> sendInputReply) : base(request)
    {
        _kernelId = kernelId;
        _raw = raw;
        _idleGrace = idleGrace;
        _sendInputReply = sendInputReply;
    }

    public ChannelReader<KernelOutput> Outputs => _outputs.Reader;
    public Task<KernelExecuteReply> Completion => _completion.Task;
    public override bool IsCompleted => _completion.Task.IsCompleted;

    public override void OnMessage(KernelChannel channel, JupyterMessage message)
    {
        lock (_gate)
        {
            if (IsCompleted) return;
            if (_raw) _outputs.Writer.TryWrite(OutputConverter.Raw(_kernelId, channel, message));
            switch (channel)
            {
                case KernelChannel.IOPub:
                    _lastIOPub = DateTimeOffset.UtcNow;
                    if (message.MsgType == "status")
                    {
                        if (message.Content.GetStringOrNull("execution_state") == "idle") _idle = true;
                    }
                    else if (!_raw && OutputConverter.FromIOPub(_kernelId, message) is { } output)
                    {
                        if (output is KernelError) _sawIOPubError = true;
                        _outputs.Writer.TryWrite(output);
                    }
                    else if (message.MsgType == "error") _sawIOPubError = true;
                    break;
                case KernelChannel.Shell when message.MsgType == "execute_reply":
                    _reply = message;
                    break;
                case KernelChannel.Stdin when message.MsgType == "input_request":
                    if (!_raw) _outputs.Writer.TryWrite(InputRequest(message));
                    break;
            }
            TryComplete(force: false);
        }
    }

    public override void OnTick(DateTimeOffset now)
    {
        lock (_gate)
        {
            // A kernel that answers but never publishes idle (or whose idle was lost) must not hang the caller.
            if (_reply is not null && !_idle && now - _lastIOPub > _idleGrace) TryComplete(force: true);
        }
    }

    public override void Fail(Exception error)
    {
        lock (_gate)
        {
            if (IsCompleted) return;
            _outputs.Writer.TryComplete();
            _completion.TrySetException(error);
        }
    }

    private void TryComplete(bool force)
    {
        if (_reply is null || (!_idle && !force)) return;
        var content = _reply.Content;
        var status = content.GetStringOrNull("status") ?? "ok";
        // Kernels that report the error only in the reply (allowed by the spec) still reach the user as an error.
        if (status == "error" && !_sawIOPubError && !_raw)
            _outputs.Writer.TryWrite(OutputConverter.Error(_kernelId, _reply, content));
        // "aborted" (no execution_count, deprecated but still sent by ipykernel) is reported once, by the reply's
        // status: callers (Invoke-KernelCode) turn it into an ExecutionAborted error.
        _outputs.Writer.TryComplete();
        _completion.TrySetResult(new KernelExecuteReply
        {
            KernelId = _kernelId,
            ParentMsgId = MsgId,
            SubShellId = Request.Header.SubshellId,
            Status = status,
            ExecutionCount = content.GetInt32OrNull("execution_count"),
            Duration = _elapsed.Elapsed,
        });
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
