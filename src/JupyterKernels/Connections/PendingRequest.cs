using JupyterKernels.Messaging;

namespace JupyterKernels.Connections;

/// <summary>
/// One outstanding request, keyed by its msg_id. Every message whose parent_header.msg_id matches is handed to it;
/// it completes when both its reply and its IOPub idle have arrived (they travel on different sockets, in no
/// guaranteed order), or when the client fails it.
/// </summary>
internal abstract class PendingRequest
{
    protected PendingRequest(JupyterMessage request) => Request = request;

    public JupyterMessage Request { get; }
    public string MsgId => Request.MsgId;

    /// <summary>A message of this request arrived (reply, IOPub, stdin).</summary>
    public abstract void OnMessage(KernelChannel channel, JupyterMessage message);

    /// <summary>The request cannot complete (kernel died, connection closed, cancelled, timed out).</summary>
    public abstract void Fail(Exception error);

    /// <summary>Called by the client's watch loop: gives requests that wait on a missing idle a chance to finish.</summary>
    public virtual void OnTick(DateTimeOffset now) { }

    public abstract bool IsCompleted { get; }
}
