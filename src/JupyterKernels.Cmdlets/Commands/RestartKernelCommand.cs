using System.Management.Automation;

namespace JupyterKernels.Cmdlets;

/// <summary>Restart-Kernel: restarts a kernel in place (same id, same connection), losing its state.</summary>
[Cmdlet(VerbsLifecycle.Restart, "Kernel", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = IdParameterSet)]
[OutputType(typeof(Kernel))]
public sealed class RestartKernelCommand : KernelTargetCmdletBase
{
    [Parameter(HelpMessage = "Restart even while another process runs code on the kernel (without -Force that is a KernelBusy error).")]
    public SwitchParameter Force { get; set; }

    [Parameter(HelpMessage = "Write the restarted kernel object.")]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var (id, label) in TargetKernels())
        {
            if (!ShouldProcess(label, "Restart kernel (its variables are lost)")) continue;
            if (TryRun(ct => Service.RestartKernelAsync(id, Force.IsPresent, ct), id, out var kernel) && PassThru)
                WriteObject(kernel);
        }
    }
}
