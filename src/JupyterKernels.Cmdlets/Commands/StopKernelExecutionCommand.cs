using System.Management.Automation;

namespace JupyterKernels.Cmdlets;

/// <summary>
/// Stop-KernelExecution: interrupts the code a kernel is running (interrupt_request or SIGINT, as the kernelspec's
/// interrupt_mode says). The kernel keeps running and keeps its state. Named Stop (approved: "discontinue an
/// activity") + KernelExecution (the thing stopped): Suspend would promise a Resume, and Stop-Kernel stops the kernel.
/// </summary>
[Cmdlet(VerbsLifecycle.Stop, "KernelExecution", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = IdParameterSet)]
[OutputType(typeof(Kernel))]
public sealed class StopKernelExecutionCommand : KernelTargetCmdletBase
{
    [Parameter(HelpMessage = "Write the kernel object after the interrupt.")]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var (id, label) in TargetKernels())
        {
            if (!ShouldProcess(label, "Interrupt the running code")) continue;
            if (!TryRun(ct => Service.InterruptKernelAsync(id, ct), id)) continue;
            if (PassThru && TryRun(ct => Service.GetKernelAsync(id, ct), id, out var kernel))
                WriteObject(kernel);
        }
    }
}
