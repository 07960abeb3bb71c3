using System.Management.Automation;

namespace JupyterKernels.Cmdlets;

/// <summary>Remove-KernelSession: deletes a session and (unless -KeepKernel) shuts its kernel down, as Jupyter does.</summary>
[Cmdlet(VerbsCommon.Remove, "KernelSession", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = NameParameterSet)]
[OutputType(typeof(void))]
public sealed class RemoveKernelSessionCommand : KernelCmdletBase
{
    private const string NameParameterSet = "Name";
    private const string InputObjectParameterSet = "InputObject";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = NameParameterSet, HelpMessage = "Names of the sessions to remove.")]
    [Alias("SessionName")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(KernelSessionNameCompleter))]
    public string[] Name { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputObjectParameterSet, HelpMessage = "Session objects from Get-KernelSession.")]
    [ValidateNotNull]
    public KernelSession[] InputObject { get; set; } = Array.Empty<KernelSession>();

    [Parameter(HelpMessage = "Leave the session's kernel running (only the session record is removed).")]
    public SwitchParameter KeepKernel { get; set; }

    [Parameter(HelpMessage = "Stop the session's kernel even while another process runs code on it (without -Force that is a KernelBusy error).")]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var names = ParameterSetName == InputObjectParameterSet ? InputObject.Where(s => s is not null).Select(s => s.Name) : Name;
        foreach (var name in names)
        {
            var action = KeepKernel ? "Remove session (kernel keeps running)" : "Remove session and stop its kernel";
            if (!ShouldProcess(name, action)) continue;
            TryRun(ct => Service.RemoveSessionAsync(name, !KeepKernel.IsPresent, Force.IsPresent, ct), name);
        }
    }
}
