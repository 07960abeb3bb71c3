using System.Management.Automation;
using JupyterKernels.Connections;

namespace JupyterKernels.Cmdlets;

/// <summary>
/// How a cell's outputs reach the user, for every command that runs code (Invoke-KernelCode, Enter-Kernel): each
/// output object goes down the pipeline as it is (PowerShell's formatting and the module's views render it), a kernel
/// error becomes its traceback on the host plus an ExecutionError record, and a kernel that falls silent is reported
/// once per silence. Input requests are the caller's: each command answers them its own way.
/// </summary>
internal static class KernelOutputWriter
{
    /// <summary>Writes <paramref name="output"/>; false for an input request, which the caller answers.</summary>
    public static bool TryWrite(PSCmdlet cmdlet, KernelOutput output)
    {
        switch (output)
        {
            case KernelInputRequest:
                return false;
            case KernelError error:
                WriteTraceback(cmdlet, error);
                cmdlet.WriteError(ErrorRecords.FromKernelError(error));
                return true;
            case KernelExecuteReply:
                // Written once, from Completion, when the command was asked for it (-PassThru).
                return true;
            default:
                cmdlet.WriteObject(output);
                return true;
        }
    }

    /// <summary>
    /// Shows the kernel's traceback as the cell's output, as a notebook does, on the host (an information record
    /// tagged PSHOST and Traceback, like Write-Host): readable line by line in scripts too, never in the pipeline's
    /// output. Not when the error itself is silenced or handled (-ErrorAction SilentlyContinue, Ignore or Stop).
    /// </summary>
    private static void WriteTraceback(PSCmdlet cmdlet, KernelError error)
    {
        var traceback = ErrorRecords.Traceback(error);
        if (traceback.Length == 0) return;
        var action = cmdlet.MyInvocation.BoundParameters.TryGetValue("ErrorAction", out var bound) && bound is ActionPreference explicitAction
            ? explicitAction
            : cmdlet.GetVariableValue("ErrorActionPreference") is ActionPreference preference ? preference : ActionPreference.Continue;
        if (action is ActionPreference.SilentlyContinue or ActionPreference.Ignore or ActionPreference.Stop) return;
        cmdlet.WriteInformation(new HostInformationMessage { Message = traceback }, ["PSHOST", "Traceback"]);
    }

    /// <summary>A silent kernel is not a dead one: say so once per silence (KernelNotResponding), and once when it
    /// answers again, and keep waiting — Ctrl+C (or a timeout) ends the wait.</summary>
    public static DateTimeOffset? ReportSilence(KernelCmdletBase cmdlet, KernelExecution execution, DateTimeOffset? reported, string howToEnd)
    {
        var since = execution.NotRespondingSince;
        if (since is not null && since != reported)
            cmdlet.WriteWarning(ErrorIds.KernelNotResponding, $"{ErrorIds.KernelNotResponding}: kernel {execution.KernelId} has not answered its heartbeat since {since:HH:mm:ss} UTC; " +
                $"still waiting (it may be frozen or unreachable, it is not known to be dead). {howToEnd}");
        else if (since is null && reported is not null)
            cmdlet.WriteVerbose($"Kernel {execution.KernelId} answers again.");
        return since;
    }
}
