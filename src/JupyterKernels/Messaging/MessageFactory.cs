using System.Globalization;
using System.Text.Json;

namespace JupyterKernels.Messaging;

/// <summary>
/// Builds request messages for one client session (jupyter_client's Session minus transport): one session id per
/// client, unique msg ids, UTC ISO-8601 dates.
/// </summary>
internal sealed class MessageFactory
{
    private long _counter;

    public MessageFactory(string? sessionId = null, string? username = null)
    {
        SessionId = sessionId ?? Guid.NewGuid().ToString("N");
        Username = username ?? Environment.UserName ?? "username";
    }

    public string SessionId { get; }
    public string Username { get; }

    public JupyterMessage Create(string msgType, JsonElement content, MessageHeader? parent = null, string? subshellId = null, JsonElement? metadata = null)
    {
        var header = new MessageHeader
        {
            MsgId = $"{SessionId}_{Environment.ProcessId}_{Interlocked.Increment(ref _counter)}",
            Session = SessionId,
            Username = Username,
            Date = Now(),
            MsgType = msgType,
            Version = ProtocolVersion.Current,
            SubshellId = subshellId,
        };
        return new JupyterMessage
        {
            Header = header,
            ParentHeader = parent,
            Content = content,
            Metadata = metadata ?? JupyterMessage.Empty,
        };
    }

    /// <summary>The date format jupyter_client writes (microseconds, Z).</summary>
    public static string Now() => DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
}
