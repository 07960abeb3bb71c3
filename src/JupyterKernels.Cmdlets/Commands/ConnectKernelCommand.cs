using System.Management.Automation;

namespace JupyterKernels.Cmdlets;

/// <summary>
/// Connect-Kernel: adopts a local kernel that another Jupyter client started (jupyter console, a KernelManager,
/// jupyter kernel), given its connection file; records it so every command and every PowerShell process can drive
/// it. "Connect" (Communications: create a link between a source and a destination) is what happens: nothing is
/// started, the link to a running kernel is made and remembered; Stop-Kernel later shuts it down by request only.
/// </summary>
[Cmdlet(VerbsCommunications.Connect, "Kernel", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(Kernel))]
public sealed class ConnectKernelCommand : KernelCmdletBase
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true,
        HelpMessage = "Connection file of a running kernel (kernel-<id>.json in the Jupyter runtime dir, as jupyter --runtime-dir shows).")]
    [Alias("FullName", "ConnectionFile")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    protected override void ProcessRecord()
    {
        var path = GetUnresolvedProviderPathFromPSPath(Path);
        if (!ShouldProcess(path, "Adopt the kernel of this connection file")) return;
        if (TryRun(ct => Service.ConnectKernelAsync(path, ct), path, out var kernel))
            WriteObject(kernel);
    }
}
