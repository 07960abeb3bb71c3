using System.Management.Automation;

namespace JupyterKernels.Cmdlets;

/// <summary>
/// Base of the cmdlets that act on kernels: -KernelId (alias Id) or -InputObject (Kernel objects from the pipeline).
/// The parameter is named KernelId, not Id, because PowerShell binds by property name before aliases: a session or
/// subshell piped in has its own Id next to KernelId, and must bind the kernel's. A Kernel has only
/// Id, which binds through the alias.
/// </summary>
public abstract class KernelTargetCmdletBase : KernelCmdletBase
{
    protected const string IdParameterSet = "Id";
    protected const string InputObjectParameterSet = "InputObject";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = IdParameterSet,
        HelpMessage = "Id of the kernel (see Get-Kernel).")]
    [Alias("Id")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(KernelIdCompleter))]
    public string[] KernelId { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputObjectParameterSet,
        HelpMessage = "Kernel objects, as written by Get-Kernel or Start-Kernel.")]
    [ValidateNotNull]
    public Kernel[] InputObject { get; set; } = Array.Empty<Kernel>();

    /// <summary>The kernels this record names: id plus a label for ShouldProcess and errors.</summary>
    protected IEnumerable<(string Id, string Label)> TargetKernels()
    {
        if (ParameterSetName == InputObjectParameterSet)
        {
            foreach (var kernel in InputObject)
                if (kernel is not null) yield return (kernel.Id, $"{kernel.Name} ({kernel.Id})");
        }
        else
        {
            foreach (var id in KernelId)
                if (!string.IsNullOrEmpty(id)) yield return (id, id);
        }
    }
}
