using JupyterKernels.Messaging;

namespace JupyterKernels.Connections;

/// <summary>A request that only needs its reply (kernel_info, shutdown, subshell management, complete...).</summary>
internal sealed class ReplyRequest : PendingRequest
{
    private readonly TaskCompletionSource<JupyterMessage> _reply = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _replyType;

    public ReplyRequest(JupyterMessage request) : base(request)
        => _replyType = request.MsgType.EndsWith("_request", StringComparison.Ordinal)
            ? request.MsgType[..^"_request".Length] + "_reply"
            : request.MsgType + "_reply";

    public Task<JupyterMessage> Reply => _reply.Task;

    public override bool IsCompleted => _reply.Task.IsCompleted;

    public override void OnMessage(KernelChannel channel, JupyterMessage message)
    {
        if (channel is KernelChannel.Shell or KernelChannel.Control && message.MsgType == _replyType)
            _reply.TrySetResult(message);
    }

    public override void Fail(Exception error) => _reply.TrySetException(error);
}
