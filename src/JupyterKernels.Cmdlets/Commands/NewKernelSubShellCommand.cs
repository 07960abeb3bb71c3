using System.Management.Automation;

namespace JupyterKernels.Cmdlets;

/// <summary>New-KernelSubShell: creates a subshell (protocol 5.5) so code can run concurrently with the main shell.</summary>
[Cmdlet(VerbsCommon.New, "KernelSubShell", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = IdParameterSet)]
[OutputType(typeof(KernelSubShell))]
public sealed class NewKernelSubShellCommand : KernelTargetCmdletBase
{
    protected override void ProcessRecord()
    {
        foreach (var (id, label) in TargetKernels())
        {
            if (!ShouldProcess(label, "Create subshell")) continue;
            if (TryRun(ct => Service.CreateSubShellAsync(id, ct), id, out var subShell))
                WriteObject(subShell);
        }
    }
}
