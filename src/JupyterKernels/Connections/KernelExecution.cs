using System.Threading.Channels;

namespace JupyterKernels.Connections;

/// <summary>
/// A running execution: outputs (and input requests) in arrival order on <see cref="Outputs"/>, which completes
/// when the execution is done; <see cref="Completion"/> gives the reply, or throws a <see cref="KernelException"/>
/// (timeout, kernel died, cancelled).
/// </summary>
public sealed class KernelExecution
{
    public KernelExecution(string kernelId, string msgId, ChannelReader<KernelOutput> outputs, Task<KernelExecuteReply> completion)
    {
        KernelId = kernelId;
        MsgId = msgId;
        Outputs = outputs;
        Completion = completion;
    }

    public string KernelId { get; }
    public string MsgId { get; }
    public ChannelReader<KernelOutput> Outputs { get; }
    public Task<KernelExecuteReply> Completion { get; }
}
