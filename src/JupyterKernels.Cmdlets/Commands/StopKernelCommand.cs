using System.Management.Automation;

namespace JupyterKernels.Cmdlets;

/// <summary>Stop-Kernel: shuts a kernel down (shutdown_request, then signals) and records it as stopped.</summary>
[Cmdlet(VerbsLifecycle.Stop, "Kernel", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = IdParameterSet)]
[OutputType(typeof(Kernel))]
public sealed class StopKernelCommand : KernelTargetCmdletBase
{
    [Parameter(HelpMessage = "Kill the kernel now instead of asking it to shut down cleanly.")]
    public SwitchParameter Force { get; set; }

    [Parameter(HelpMessage = "Write the stopped kernel (state Stopped).")]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var (id, label) in TargetKernels())
        {
            if (!ShouldProcess(label, Force ? "Kill kernel" : "Stop kernel")) continue;
            if (TryRun(ct => Service.StopKernelAsync(id, Force.IsPresent, ct), id, out var stopped) && PassThru)
                WriteObject(stopped);
        }
    }
}
