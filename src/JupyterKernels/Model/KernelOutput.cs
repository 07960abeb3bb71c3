namespace JupyterKernels;

/// <summary>
/// Base of everything Invoke-KernelCode writes for one execution, in arrival order.
/// <see cref="ParentMsgId"/> is the execute_request it belongs to; <see cref="SubShellId"/> its subshell (null = main shell).
/// </summary>
public abstract class KernelOutput
{
    public required string KernelId { get; init; }
    public string? ParentMsgId { get; init; }
    public string? SubShellId { get; init; }
}

/// <summary>IOPub <c>stream</c>: stdout or stderr text.</summary>
public sealed class KernelStreamOutput : KernelOutput
{
    public required string Name { get; init; }
    public required string Text { get; init; }
    public override string ToString() => Text;
}

/// <summary>IOPub <c>display_data</c> or <c>update_display_data</c> (<see cref="IsUpdate"/>). ToString is the best text
/// form: text/plain when informative, JSON as JSON, else a summary such as &lt;HTML 2.1 KB&gt;.</summary>
public sealed class KernelDisplayData : KernelOutput
{
    /// <summary>MIME type → value: strings for text types, JSON-derived objects for application/json.</summary>
    public required IReadOnlyDictionary<string, object?> Data { get; init; }
    public IReadOnlyDictionary<string, object?> Metadata { get; init; } = new Dictionary<string, object?>();
    public string? DisplayId { get; init; }
    public bool IsUpdate { get; init; }
    public override string ToString() => KernelOutputText.Best(Data, Metadata);
}

/// <summary>IOPub <c>execute_result</c>.</summary>
public sealed class KernelExecuteResult : KernelOutput
{
    public int? ExecutionCount { get; init; }
    public required IReadOnlyDictionary<string, object?> Data { get; init; }
    public IReadOnlyDictionary<string, object?> Metadata { get; init; } = new Dictionary<string, object?>();
    public override string ToString() => KernelOutputText.Best(Data, Metadata);
}

/// <summary>IOPub <c>clear_output</c>.</summary>
public sealed class KernelClearOutput : KernelOutput
{
    public bool Wait { get; init; }
}

/// <summary>An error raised by code in the kernel (IOPub <c>error</c> or an error execute_reply). The cmdlet writes it as an ErrorRecord.</summary>
public sealed class KernelError : KernelOutput
{
    public required string Ename { get; init; }
    public required string Evalue { get; init; }
    public IReadOnlyList<string> Traceback { get; init; } = Array.Empty<string>();
    public override string ToString() => $"{Ename}: {Evalue}";
}

/// <summary>A raw Jupyter message (Invoke-KernelCode -Raw): channel, type and JSON parts; no signature, no key.</summary>
public sealed class KernelRawMessage : KernelOutput
{
    public required string Channel { get; init; }
    public required string MsgType { get; init; }
    public required string MsgId { get; init; }
    public required string HeaderJson { get; init; }
    public required string ParentHeaderJson { get; init; }
    public required string MetadataJson { get; init; }
    public required string ContentJson { get; init; }
    public int BufferCount { get; init; }
    public override string ToString() => $"{Channel} {MsgType}";
}

/// <summary>The final execute_reply summary (written with -PassThru or kept for $? decisions).</summary>
public sealed class KernelExecuteReply : KernelOutput
{
    /// <summary>"ok", "error" or "aborted".</summary>
    public required string Status { get; init; }
    public int? ExecutionCount { get; init; }
    public TimeSpan Duration { get; init; }
    /// <summary>The kernel ended the execution because it was interrupted (by anyone).</summary>
    public bool Interrupted { get; init; }
    public override string ToString() => $"{Status} [{ExecutionCount}]";
}
