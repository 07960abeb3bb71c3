using JupyterKernels.Messaging;

namespace JupyterKernels.Connections;

/// <summary>
/// One message of an execution, on any channel, with what <see cref="OutputConverter"/> made of it: a notebook run
/// records every message (its outputs in nbformat, nbclient's timings from the headers) and reads each through this
/// one reading instead of parsing the message again (<see cref="ExecuteOptions.WithMessages"/>).
/// </summary>
internal sealed class KernelProtocolMessage : KernelOutput
{
    public required KernelChannel Channel { get; init; }

    /// <summary>The message as parsed from the wire.</summary>
    public required JupyterMessage Message { get; init; }

    /// <summary>The typed output of an IOPub output message (stream, display data, result, error, clear_output); null
    /// for every other message.</summary>
    public KernelOutput? Output { get; init; }

    public string MsgType => Message.MsgType;

    public override string ToString() => $"{Channel} {MsgType}";
}
