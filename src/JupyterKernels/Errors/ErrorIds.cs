namespace JupyterKernels;

/// <summary>The stable error ids. One place, so README's table and the tests can't drift from the code.</summary>
public static class ErrorIds
{
    // Kernelspecs
    public const string KernelSpecNotFound = "KernelSpecNotFound";
    public const string KernelSpecInvalid = "KernelSpecInvalid";
    /// <summary>Save-KernelSpecResource: the destination is a file, or cannot be written.</summary>
    public const string ResourcePathInvalid = "ResourcePathInvalid";
    // Start / lifecycle
    public const string KernelLaunchFailed = "KernelLaunchFailed";
    public const string KernelExitedDuringStart = "KernelExitedDuringStart";
    public const string KernelStartTimeout = "KernelStartTimeout";
    public const string KernelNotFound = "KernelNotFound";
    public const string KernelDied = "KernelDied";
    public const string KernelNotResponding = "KernelNotResponding";
    /// <summary>The kernel was restarted (by another client) while a call was in flight; the call's outputs are lost.</summary>
    public const string KernelRestarted = "KernelRestarted";
    public const string KernelShutdownFailed = "KernelShutdownFailed";
    /// <summary>Stop, restart or session removal of a kernel another live process runs code on, without -Force.</summary>
    public const string KernelBusy = "KernelBusy";
    public const string KernelInterruptFailed = "KernelInterruptFailed";
    /// <summary>Restart-Kernel on an adopted kernel: the client that launched it alone can restart it.</summary>
    public const string KernelRestartNotSupported = "KernelRestartNotSupported";
    public const string ConnectionFileInvalid = "ConnectionFileInvalid";
    public const string ConnectionFailed = "ConnectionFailed";
    public const string PortInUse = "PortInUse";
    // Execution
    public const string ExecutionTimeout = "ExecutionTimeout";
    public const string ExecutionError = "ExecutionError";
    public const string ExecutionAborted = "ExecutionAborted";
    public const string ExecutionCancelled = "ExecutionCancelled";
    /// <summary>The kernel went idle for an execute_request but never sent its execute_reply.</summary>
    public const string ExecutionReplyMissing = "ExecutionReplyMissing";
    public const string InputNotAvailable = "InputNotAvailable";
    public const string InvalidMessage = "InvalidMessage";
    public const string InvalidSignature = "InvalidSignature";
    // Subshells
    public const string SubShellsNotSupported = "SubShellsNotSupported";
    public const string SubShellNotFound = "SubShellNotFound";
    public const string SubShellTimeout = "SubShellTimeout";
    // Providers / remote
    public const string ProviderNotFound = "ProviderNotFound";
    public const string ProviderExists = "ProviderExists";
    public const string ProviderInvalid = "ProviderInvalid";
    public const string ProviderUnreachable = "ProviderUnreachable";
    public const string ProviderAuthenticationFailed = "ProviderAuthenticationFailed";
    public const string ProviderRequestFailed = "ProviderRequestFailed";
    public const string ProviderResponseInvalid = "ProviderResponseInvalid";
    public const string ProviderTimeout = "ProviderTimeout";
    // Store / sessions / sync
    public const string StoreInvalid = "StoreInvalid";
    /// <summary>A kernel record with this id (or this provider + remote id) is already in the store.</summary>
    public const string KernelExists = "KernelExists";
    public const string StoreTooNew = "StoreTooNew";
    public const string StoreUnavailable = "StoreUnavailable";
    public const string SessionNotFound = "SessionNotFound";
    public const string SessionExists = "SessionExists";
    public const string SyncProviderFailed = "SyncProviderFailed";
    // Notebooks
    /// <summary>Not a notebook, invalid JSON, nbformat 3 or older, or a structure nbformat 4 does not allow.</summary>
    public const string NotebookInvalid = "NotebookInvalid";
    /// <summary>No file at the notebook path (or a wildcard that matched none).</summary>
    public const string NotebookNotFound = "NotebookNotFound";
    /// <summary>A parameter name that is not an identifier in the kernel's language, or a value that has no literal there.</summary>
    public const string NotebookParameterInvalid = "NotebookParameterInvalid";
    /// <summary>A cell raised an error, timed out, or its kernel died; the output notebook marks the cell.</summary>
    public const string NotebookCellFailed = "NotebookCellFailed";
    /// <summary>The output notebook exists and -Force was not given.</summary>
    public const string NotebookOutputExists = "NotebookOutputExists";
    public const string NotebookWriteFailed = "NotebookWriteFailed";
    /// <summary>Neither -KernelName nor the notebook's metadata.kernelspec names a kernel.</summary>
    public const string NotebookKernelNotSpecified = "NotebookKernelNotSpecified";
    /// <summary>Code no kernel can take: a NUL character (ipykernel drops such a request and never replies).</summary>
    public const string CodeInvalid = "CodeInvalid";
    // Saved outputs
    /// <summary>A file of that name is already there and -Force was not given (Save-KernelOutput, Invoke-KernelCode -OutDirectory).</summary>
    public const string OutputFileExists = "OutputFileExists";
    /// <summary>The folder to save outputs in is a file, or cannot be created or written.</summary>
    public const string OutputPathInvalid = "OutputPathInvalid";
    /// <summary>Save-KernelOutput was given an object that is not a kernel output.</summary>
    public const string OutputNotSavable = "OutputNotSavable";
    // Interactive console
    /// <summary>Enter-Kernel needs a console to type in: standard input is redirected or pwsh runs -NonInteractive.</summary>
    public const string InteractiveConsoleRequired = "InteractiveConsoleRequired";
    // Warnings (every warning the module writes carries one of these ids, or an error id above)
    /// <summary>Sync-KernelSession could not probe a kernel; its record was left unchanged.</summary>
    public const string KernelProbeFailed = "KernelProbeFailed";
    /// <summary>Register-KernelProvider -Token: the token lives in this process only.</summary>
    public const string ProviderTokenNotSaved = "ProviderTokenNotSaved";
    /// <summary>The environment variable that holds a provider's token is not set in this process.</summary>
    public const string ProviderTokenMissing = "ProviderTokenMissing";
    /// <summary>Register-KernelProvider -Header: the header values live in this process only.</summary>
    public const string ProviderHeaderNotSaved = "ProviderHeaderNotSaved";
    /// <summary>A warning: Invoke-Notebook was given a parameter the notebook's parameters cell does not assign (it is injected all the same, as papermill does).</summary>
    public const string NotebookParameterUnknown = "NotebookParameterUnknown";
    /// <summary>The kernel ended an execution because it was interrupted (IRkernel's reply status "abort").</summary>
    public const string ExecutionInterrupted = "ExecutionInterrupted";
}
