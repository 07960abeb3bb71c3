namespace JupyterKernels.Messaging;

/// <summary>The content fields of the messaging spec this client reads from kernels' messages: one place, so no
/// reader spells them.</summary>
internal static class ContentKeys
{
    public const string ExecutionState = "execution_state";
    public const string ExecutionCount = "execution_count";
    public const string Status = "status";
    public const string Name = "name";
    public const string Text = "text";
    public const string Data = "data";
    public const string Metadata = "metadata";
    public const string Transient = "transient";
    public const string DisplayId = "display_id";
    public const string Wait = "wait";
    public const string Ename = "ename";
    public const string Evalue = "evalue";
    public const string Traceback = "traceback";
}

/// <summary>The <c>status</c> values of a reply's content.</summary>
internal static class ReplyStatuses
{
    public const string Ok = "ok";
    public const string Error = "error";
    public const string Aborted = "aborted";
    /// <summary>What IRkernel sends for an interrupted cell instead of the spec's "aborted".</summary>
    public const string Abort = "abort";
}
