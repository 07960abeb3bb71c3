using System.Text;
using System.Text.Json;
using JupyterKernels.Messaging;

namespace JupyterKernels.Connections;

/// <summary>
/// The one reading of a kernel's messages: IOPub messages become the pipeline's output objects (unknown types yield
/// null: the spec says tolerate them), and the few facts an execution and a notebook's record take from the other
/// messages (execution state, execution count, reply status) are read here too.
/// </summary>
internal static class OutputConverter
{
    /// <summary>An IOPub status message's <c>execution_state</c>.</summary>
    public static string? ExecutionState(JupyterMessage message) => message.Content.GetStringOrNull(ContentKeys.ExecutionState);

    /// <summary>The <c>execution_count</c> of an execute_input, execute_result or execute_reply.</summary>
    public static int? ExecutionCount(JupyterMessage message) => message.Content.GetInt32OrNull(ContentKeys.ExecutionCount);

    /// <summary>A reply's <c>status</c>.</summary>
    public static string? ReplyStatus(JupyterMessage message) => message.Content.GetStringOrNull(ContentKeys.Status);

    // stamp: what the execution knows of where the output comes from (kernel name, execution count, the output's
    // position); default for a message outside an execution.
    public static KernelOutput? FromIOPub(string kernelId, JupyterMessage message, OutputStamp stamp = default)
    {
        var parent = message.ParentMsgId;
        var subshell = message.ParentHeader?.SubshellId;
        // Stream text is read without touching Content: a large stream content is decoded once, never parsed.
        if (message.MsgType == MessageTypes.Stream)
        {
            return new KernelStreamOutput
            {
                KernelId = kernelId, ParentMsgId = parent, SubShellId = subshell,
                KernelName = stamp.KernelName, ExecutionCount = stamp.ExecutionCount, OutputIndex = stamp.OutputIndex,
                Name = message.GetContentString(ContentKeys.Name) ?? "stdout",
                Text = message.GetContentString(ContentKeys.Text) ?? "",
            };
        }
        var c = message.Content;
        switch (message.MsgType)
        {
            case MessageTypes.DisplayData:
            case MessageTypes.UpdateDisplayData:
                return new KernelDisplayData
                {
                    KernelId = kernelId, ParentMsgId = parent, SubShellId = subshell,
                    KernelName = stamp.KernelName, ExecutionCount = stamp.ExecutionCount, OutputIndex = stamp.OutputIndex,
                    Data = Bundle(c, ContentKeys.Data),
                    Metadata = Bundle(c, ContentKeys.Metadata),
                    DataJson = Json(c, ContentKeys.Data),
                    MetadataJson = Json(c, ContentKeys.Metadata),
                    DisplayId = c.GetPropertyOrNull(ContentKeys.Transient) is { } t ? t.GetStringOrNull(ContentKeys.DisplayId) : null,
                    IsUpdate = message.MsgType == MessageTypes.UpdateDisplayData,
                };
            case MessageTypes.ExecuteResult:
                return new KernelExecuteResult
                {
                    KernelId = kernelId, ParentMsgId = parent, SubShellId = subshell,
                    KernelName = stamp.KernelName, OutputIndex = stamp.OutputIndex,
                    ExecutionCount = c.GetInt32OrNull(ContentKeys.ExecutionCount) ?? stamp.ExecutionCount,
                    Data = Bundle(c, ContentKeys.Data),
                    Metadata = Bundle(c, ContentKeys.Metadata),
                    DataJson = Json(c, ContentKeys.Data),
                    MetadataJson = Json(c, ContentKeys.Metadata),
                    DisplayId = c.GetPropertyOrNull(ContentKeys.Transient) is { } rt ? rt.GetStringOrNull(ContentKeys.DisplayId) : null,
                };
            case MessageTypes.Error:
                return Error(kernelId, message, c, stamp);
            case MessageTypes.ClearOutput:
                return new KernelClearOutput
                {
                    KernelId = kernelId, ParentMsgId = parent, SubShellId = subshell,
                    KernelName = stamp.KernelName, ExecutionCount = stamp.ExecutionCount, OutputIndex = stamp.OutputIndex,
                    Wait = c.GetBooleanOrNull(ContentKeys.Wait) ?? false,
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
        Ename = content.GetStringOrNull(ContentKeys.Ename) ?? "Error",
        Evalue = content.GetStringOrNull(ContentKeys.Evalue) ?? "",
        Traceback = content.GetStringList(ContentKeys.Traceback),
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

    /// <summary>One message of an execution with what this reading made of it (the typed output of an IOPub
    /// output, else null), for a caller that records every message (a notebook run).</summary>
    public static KernelProtocolMessage Message(string kernelId, KernelChannel channel, JupyterMessage message, KernelOutput? output, string? kernelName = null) => new()
    {
        KernelId = kernelId,
        KernelName = kernelName,
        ParentMsgId = message.ParentMsgId,
        SubShellId = message.ParentHeader?.SubshellId,
        Channel = channel,
        Message = message,
        Output = output,
    };

    private static JsonElement Json(JsonElement content, string name) => content.GetPropertyOrNull(name) ?? default;

    private static IReadOnlyDictionary<string, object?> Bundle(JsonElement content, string name)
        => content.GetPropertyOrNull(name) is { ValueKind: JsonValueKind.Object } e ? e.ToDictionary() : new Dictionary<string, object?>();
}

/// <summary>Where an output comes from, as its execution knows it: the kernel's name, the execution's count (from
/// execute_input), and the output's 0-based position among the execution's outputs.</summary>
internal readonly record struct OutputStamp(string? KernelName, int? ExecutionCount, int? OutputIndex);
