using System.Text.Json;

namespace JupyterKernels;

/// <summary>
/// Base of everything Invoke-KernelCode writes for one execution, in arrival order.
/// <see cref="ParentMsgId"/> is the execute_request it belongs to; <see cref="SubShellId"/> its subshell (null = main shell).
/// </summary>
public abstract class KernelOutput
{
    public required string KernelId { get; init; }
    /// <summary>The kernel's spec name as Get-Kernel shows it (python3, srv/python3): says which kernel an output came
    /// from when outputs of several kernels share a pipeline. Null when the client was not told the name.</summary>
    public string? KernelName { get; init; }
    /// <summary>The execution's number in the kernel (from its execute_input, execute_result or execute_reply); null
    /// when the kernel did not say.</summary>
    public int? ExecutionCount { get; init; }
    /// <summary>Position of this output among its execution's outputs, 0-based in arrival order (nbconvert numbers the
    /// outputs it extracts the same way); null for objects that are not an execution's output (the reply).</summary>
    public int? OutputIndex { get; init; }
    public string? ParentMsgId { get; init; }
    public string? SubShellId { get; init; }

    /// <summary>The kernel's name and the first 8 characters of its id (python3 3f2a9c1b): what the console shows
    /// before outputs of several kernels, and what Save-KernelOutput's file names start with.</summary>
    public string KernelLabel => string.IsNullOrEmpty(KernelName) ? ShortId : $"{KernelName} {ShortId}";

    internal string ShortId => KernelId.Length > 8 ? KernelId[..8] : KernelId;
}

/// <summary>IOPub <c>stream</c>: stdout or stderr text.</summary>
public sealed class KernelStreamOutput : KernelOutput
{
    public required string Name { get; init; }
    public required string Text { get; init; }
    public override string ToString() => Text;
}

/// <summary>
/// An output that carries a MIME bundle (display data and execute results). ToString is the best text form:
/// text/plain when informative, JSON as JSON, Markdown/LaTeX as their text, simple HTML as readable text, else a
/// summary such as &lt;HTML 2.1 KB&gt;; <see cref="TextSource"/> says which of these it is.
/// </summary>
public abstract class KernelRichOutput : KernelOutput
{
    private KernelOutputText.Choice? _text;

    /// <summary>MIME type → value: strings for text types (base64 for binary ones), JSON-derived objects for application/json.</summary>
    public required IReadOnlyDictionary<string, object?> Data { get; init; }
    public IReadOnlyDictionary<string, object?> Metadata { get; init; } = new Dictionary<string, object?>();

    /// <summary>The bundle and its metadata as the kernel sent them, for a record that keeps the kernel's JSON exactly
    /// (a notebook's outputs); undefined when the kernel sent none.</summary>
    internal JsonElement DataJson { get; init; }
    internal JsonElement MetadataJson { get; init; }

    /// <summary>The MIME types of the bundle, in the kernel's order.</summary>
    public IReadOnlyList<string> MimeTypes => Data.Keys.ToArray();

    /// <summary>Where the console text comes from: the MIME type whose value it shows (text/plain, application/json,
    /// text/markdown, text/latex, text/html converted to text), or "summary" when it only summarises the bundle.</summary>
    public string TextSource => Text.Source;

    public override string ToString() => Text.Text;

    private KernelOutputText.Choice Text => _text ??= KernelOutputText.Choose(Data, Metadata);
}

/// <summary>IOPub <c>display_data</c> or <c>update_display_data</c> (<see cref="IsUpdate"/>).</summary>
public sealed class KernelDisplayData : KernelRichOutput
{
    public string? DisplayId { get; init; }
    public bool IsUpdate { get; init; }
}

/// <summary>IOPub <c>execute_result</c>.</summary>
public sealed class KernelExecuteResult : KernelRichOutput
{
    /// <summary>A result can carry a display id (IPython's display(obj, display_id=...) as a cell's value), which a
    /// notebook's record follows as it follows display_data's.</summary>
    internal string? DisplayId { get; init; }
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
    public TimeSpan Duration { get; init; }
    /// <summary>The kernel ended the execution because it was interrupted (by anyone).</summary>
    public bool Interrupted { get; init; }
    public override string ToString() => $"{Status} [{ExecutionCount}]";
}
