using System.Text.Json;
using JupyterKernels.Messaging;

namespace JupyterKernels.Tests.Support;

/// <summary>
/// A message as a kernel sends it (reply, status, output), for the test tools that play the kernel side: the
/// protocol 5.5 test kernel and the load peer. One place, so both stamp headers alike.
/// </summary>
internal static class KernelSideMessage
{
    public static JupyterMessage Build(string msgId, string session, string username, string protocolVersion,
        string msgType, JsonElement content, MessageHeader? parent, JsonElement? metadata = null) => new()
    {
        Header = new MessageHeader
        {
            MsgId = msgId,
            Session = session,
            Username = username,
            Date = MessageFactory.Now(),
            MsgType = msgType,
            Version = protocolVersion,
        },
        ParentHeader = parent,
        Content = content,
        Metadata = metadata ?? JupyterMessage.Empty,
    };
}
