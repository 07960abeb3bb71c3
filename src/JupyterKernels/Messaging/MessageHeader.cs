namespace JupyterKernels.Messaging;

/// <summary>A Jupyter message header (messaging spec "Message Header"). Unknown fields are ignored on read.</summary>
internal sealed record MessageHeader
{
    public required string MsgId { get; init; }
    public required string Session { get; init; }
    public string Username { get; init; } = "";
    /// <summary>ISO 8601 UTC, as sent (kept as text: we never need to do arithmetic on kernel clocks).</summary>
    public string Date { get; init; } = "";
    public required string MsgType { get; init; }
    public string Version { get; init; } = ProtocolVersion.Current;
    /// <summary>Protocol 5.5: the subshell a shell request is for (null = main shell). Omitted on the wire when null.</summary>
    public string? SubshellId { get; init; }
}
