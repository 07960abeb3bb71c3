using System.Management.Automation;

namespace JupyterKernels.Cmdlets;

/// <summary>Stop-Kernel: shuts a kernel down (shutdown_request, then signals) and records it as stopped.</summary>
[Cmdlet(VerbsLifecycle.Stop, "Kernel", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = IdParameterSet)]
[OutputType(typeof(Kernel))]
public sealed class StopKernelCommand : KernelTargetCmdletBase
{
    // Kernels are stopped at the end of the pipeline, once each: in `Start-Kernel python3 | Invoke-KernelCode 1 |
    // Stop-Kernel` every output of Invoke-KernelCode names its kernel, and stopping it on the first one would pull the
    // kernel out from under the execution that is still writing them.
    private readonly List<(string Id, string Label)> _targets = new();
    private readonly HashSet<string> _seen = new(StringComparer.OrdinalIgnoreCase);

    [Parameter(HelpMessage = "Kill the kernel now instead of asking it to shut down cleanly, even while another process runs code on it (without -Force that is a KernelBusy error).")]
    public SwitchParameter Force { get; set; }

    [Parameter(HelpMessage = "Write the stopped kernel (state Stopped).")]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var target in TargetKernels())
            if (_seen.Add(target.Id)) _targets.Add(target);
    }

    protected override void EndProcessing()
    {
        foreach (var (id, label) in _targets)
        {
            if (!ShouldProcess(label, Force ? "Kill kernel" : "Stop kernel")) continue;
            if (TryRun(ct => Service.StopKernelAsync(id, Force.IsPresent, ct), id, out var stopped) && PassThru)
                WriteObject(stopped);
        }
        base.EndProcessing();
    }
}
