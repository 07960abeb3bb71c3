using System.Management.Automation;

namespace JupyterKernels.Cmdlets;

/// <summary>Remove-KernelSubShell: deletes a subshell of a kernel.</summary>
[Cmdlet(VerbsCommon.Remove, "KernelSubShell", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = IdParameterSet)]
[OutputType(typeof(void))]
public sealed class RemoveKernelSubShellCommand : KernelCmdletBase
{
    private const string IdParameterSet = "Id";
    private const string InputObjectParameterSet = "InputObject";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = IdParameterSet,
        HelpMessage = "Id of the kernel that owns the subshell.")]
    [Alias("Id")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(KernelIdCompleter))]
    public string KernelId { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true, ParameterSetName = IdParameterSet,
        HelpMessage = "Ids of the subshells to delete.")]
    [ValidateNotNullOrEmpty]
    public string[] SubShellId { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputObjectParameterSet,
        HelpMessage = "Subshell objects, as written by New-KernelSubShell or Get-KernelSubShell.")]
    [ValidateNotNull]
    public KernelSubShell[] InputObject { get; set; } = Array.Empty<KernelSubShell>();

    protected override void ProcessRecord()
    {
        IEnumerable<(string KernelId, string SubShellId)> targets = ParameterSetName == InputObjectParameterSet
            ? InputObject.Where(s => s is not null).Select(s => (s.KernelId, s.SubShellId))
            : SubShellId.Select(s => (KernelId, s));
        foreach (var (kernelId, subShellId) in targets)
        {
            if (!ShouldProcess($"{kernelId}/{subShellId}", "Delete subshell")) continue;
            TryRun(ct => Service.DeleteSubShellAsync(kernelId, subShellId, ct), subShellId);
        }
    }
}
