using System.Text;
using System.Text.Json;
using JupyterKernels.Messaging;

namespace JupyterKernels.Connections;

/// <summary>Turns IOPub messages into the pipeline's output objects. Unknown types yield null (spec: tolerate them).</summary>
internal static class OutputConverter
{
    // stamp: what the execution knows of where the output comes from (kernel name, execution count, the output's
    // position); default for a message outside an execution.
    public static KernelOutput? FromIOPub(string kernelId, JupyterMessage message, OutputStamp stamp = default)
    {
        var parent = message.ParentMsgId;
        var subshell = message.ParentHeader?.SubshellId;
        // Stream text is read without touching Content: a large stream content is decoded once, never parsed.
        if (message.MsgType == "stream")
        {
            return new KernelStreamOutput
            {
                KernelId = kernelId, ParentMsgId = parent, SubShellId = subshell,
                KernelName = stamp.KernelName, ExecutionCount = stamp.ExecutionCount, OutputIndex = stamp.OutputIndex,
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
                    KernelName = stamp.KernelName, ExecutionCount = stamp.ExecutionCount, OutputIndex = stamp.OutputIndex,
                    Data = Bundle(c, "data"),
                    Metadata = Bundle(c, "metadata"),
                    DisplayId = c.GetPropertyOrNull("transient") is { } t ? t.GetStringOrNull("display_id") : null,
                    IsUpdate = message.MsgType == "update_display_data",
                };
            case "execute_result":
                return new KernelExecuteResult
                {
                    KernelId = kernelId, ParentMsgId = parent, SubShellId = subshell,
                    KernelName = stamp.KernelName, OutputIndex = stamp.OutputIndex,
                    ExecutionCount = c.GetInt32OrNull("execution_count") ?? stamp.ExecutionCount,
                    Data = Bundle(c, "data"),
                    Metadata = Bundle(c, "metadata"),
                };
            case "error":
                return Error(kernelId, message, c, stamp);
            case "clear_output":
                return new KernelClearOutput
                {
                    KernelId = kernelId, ParentMsgId = parent, SubShellId = subshell,
                    KernelName = stamp.KernelName, ExecutionCount = stamp.ExecutionCount, OutputIndex = stamp.OutputIndex,
                    Wait = c.GetBooleanOrNull("wait") ?? false,
                };
            default:
                return null;
        }
    }

    /// <summary>An error from IOPub <c>error</c> or an error reply (which may lack ename/traceback, e.g. ipykernel's subshell errors).</summary>
    public static KernelError Error(string kernelId, JupyterMessage message, JsonElement content, OutputStamp stamp = default) => new()
    {
        KernelId = kernelId,
        KernelName = stamp.KernelName,
        ExecutionCount = stamp.ExecutionCount,
        OutputIndex = stamp.OutputIndex,
        ParentMsgId = message.ParentMsgId,
        SubShellId = message.ParentHeader?.SubshellId,
        Ename = content.GetStringOrNull("ename") ?? "Error",
        Evalue = content.GetStringOrNull("evalue") ?? "",
        Traceback = content.GetStringList("traceback"),
    };

    public static KernelRawMessage Raw(string kernelId, KernelChannel channel, JupyterMessage message, string? kernelName = null) => new()
    {
        KernelId = kernelId,
        KernelName = kernelName,
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

/// <summary>Where an output comes from, as its execution knows it: the kernel's name, the execution's count (from
/// execute_input), and the output's 0-based position among the execution's outputs.</summary>
internal readonly record struct OutputStamp(string? KernelName, int? ExecutionCount, int? OutputIndex);
