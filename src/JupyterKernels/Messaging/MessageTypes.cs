namespace JupyterKernels.Messaging;

/// <summary>The msg_type names of the messaging spec this client sends or acts on: one place, so no caller spells
/// them. Requests are sent through <see cref="Connections.KernelClient"/>'s typed methods.</summary>
internal static class MessageTypes
{
    public const string ExecuteRequest = "execute_request";
    public const string KernelInfoRequest = "kernel_info_request";
    public const string InputReply = "input_reply";
    public const string InterruptRequest = "interrupt_request";
    public const string ShutdownRequest = "shutdown_request";
    public const string CreateSubshellRequest = "create_subshell_request";
    public const string ListSubshellRequest = "list_subshell_request";
    public const string DeleteSubshellRequest = "delete_subshell_request";
    public const string CompleteRequest = "complete_request";
    public const string IsCompleteRequest = "is_complete_request";
    public const string HistoryRequest = "history_request";

    public const string ExecuteReply = "execute_reply";
    public const string InputRequest = "input_request";

    // IOPub
    public const string Status = "status";
    public const string ExecuteInput = "execute_input";
    public const string Stream = "stream";
    public const string DisplayData = "display_data";
    public const string UpdateDisplayData = "update_display_data";
    public const string ExecuteResult = "execute_result";
    public const string Error = "error";
    public const string ClearOutput = "clear_output";
}
