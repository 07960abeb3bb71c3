using System.Text.Json;

namespace JupyterKernels.Messaging;

/// <summary>
/// One Jupyter message, independent of how it travels (ZMTP frames or a WebSocket). Content and metadata stay
/// as JSON; typed views are read on demand. Immutable once built.
/// </summary>
internal sealed class JupyterMessage
{
    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();
    private readonly JsonElement _content = EmptyObject;
    private readonly DeferredContent? _deferredContent;

    public required MessageHeader Header { get; init; }
    /// <summary>The request this message answers or belongs to; null when the parent header is <c>{}</c>.</summary>
    public MessageHeader? ParentHeader { get; init; }
    public JsonElement Metadata { get; init; } = EmptyObject;

    public JsonElement Content
    {
        get => _deferredContent?.Element ?? _content;
        init => _content = value;
    }

    /// <summary>Set by a decoder instead of <see cref="Content"/> for a large flat object of strings (stream text).</summary>
    internal DeferredContent? DeferredContent
    {
        init => _deferredContent = value;
    }

    /// <summary>Binary buffers after the content frame (comms/widgets); never signed.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Buffers { get; init; } = Array.Empty<ReadOnlyMemory<byte>>();
    /// <summary>ZMTP routing prefix (IOPub topic, ROUTER identities); empty over WebSocket.</summary>
    public IReadOnlyList<byte[]> Identities { get; init; } = Array.Empty<byte[]>();

    public string MsgType => Header.MsgType;
    public string MsgId => Header.MsgId;
    public string? ParentMsgId => ParentHeader?.MsgId;

    public static JsonElement Empty => EmptyObject;

    /// <summary>A string property of the content, or null (absent, or not a string).</summary>
    public string? GetContentString(string property)
        => _deferredContent is { } deferred ? deferred.GetString(property) : _content.GetStringOrNull(property);

    public override string ToString() => $"{MsgType} {MsgId}";
}
