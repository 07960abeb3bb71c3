using System.Text;
using System.Text.Json;
using JupyterKernels.Messaging;

namespace JupyterKernels.Connections;

/// <summary>Turns IOPub messages into the pipeline's output objects. Unknown types yield null (spec: tolerate them).</summary>
internal static class OutputConverter
{
    public static KernelOutput? FromIOPub(string kernelId, JupyterMessage message)
    {
        var parent = message.ParentMsgId;
        var subshell = message.ParentHeader?.SubshellId;
        // Stream text is read without touching Content: a large stream content is decoded once, never parsed.
        if (message.MsgType == "stream")
        {
            return new KernelStreamOutput
            {
                KernelId = kernelId, ParentMsgId = parent, SubShellId = subshell,
                Name = message.GetContentString("name") ?? "stdout",
                Text = message.GetContentString("text") ?? "",
            };
        }
        var c = message.Content;
        switch (message.MsgType)
        {
            case "display_data":
            case "update_display_data":
                return new KernelDisplayData
                {
                    KernelId = kernelId, ParentMsgId = parent, SubShellId = subshell,
                    Data = Bundle(c, "data"),
                    Metadata = Bundle(c, "metadata"),
                    DisplayId = c.GetPropertyOrNull("transient") is { } t ? t.GetStringOrNull("display_id") : null,
                    IsUpdate = message.MsgType == "update_display_data",
                };
            case "execute_result":
                return new KernelExecuteResult
                {
                    KernelId = kernelId, ParentMsgId = parent, SubShellId = subshell,
                    ExecutionCount = c.GetInt32OrNull("execution_count"),
                    Data = Bundle(c, "data"),
                    Metadata = Bundle(c, "metadata"),
                };
            case "error":
                return Error(kernelId, message, c);
            case "clear_output":
                return new KernelClearOutput
                {
                    KernelId = kernelId, ParentMsgId = parent, SubShellId = subshell,
                    Wait = c.GetBooleanOrNull("wait") ?? false,
                };
            default:
                return null;
        }
    }

    /// <summary>An error from IOPub <c>error</c> or an error reply (which may lack ename/traceback, e.g. ipykernel's subshell errors).</summary>
    public static KernelError Error(string kernelId, JupyterMessage message, JsonElement content) => new()
    {
        KernelId = kernelId,
        ParentMsgId = message.ParentMsgId,
        SubShellId = message.ParentHeader?.SubshellId,
        Ename = content.GetStringOrNull("ename") ?? "Error",
        Evalue = content.GetStringOrNull("evalue") ?? "",
        Traceback = content.GetStringList("traceback"),
    };

    public static KernelRawMessage Raw(string kernelId, KernelChannel channel, JupyterMessage message) => new()
    {
        KernelId = kernelId,
        ParentMsgId = message.ParentMsgId,
        SubShellId = message.ParentHeader?.SubshellId,
        Channel = channel.ToWireName(),
        MsgType = message.MsgType,
        MsgId = message.MsgId,
        HeaderJson = Encoding.UTF8.GetString(HeaderJson.ToUtf8(message.Header)),
        ParentHeaderJson = Encoding.UTF8.GetString(HeaderJson.ToUtf8(message.ParentHeader)),
        MetadataJson = message.Metadata.GetRawText(),
        ContentJson = message.Content.GetRawText(),
        BufferCount = message.Buffers.Count,
    };

    private static IReadOnlyDictionary<string, object?> Bundle(JsonElement content, string name)
        => content.GetPropertyOrNull(name) is { ValueKind: JsonValueKind.Object } e ? e.ToDictionary() : new Dictionary<string, object?>();
}
