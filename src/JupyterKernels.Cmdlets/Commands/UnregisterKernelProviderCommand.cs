using System.Management.Automation;

namespace JupyterKernels.Cmdlets;

/// <summary>Unregister-KernelProvider: removes a registered provider (its kernels' records stay until synced).</summary>
[Cmdlet(VerbsLifecycle.Unregister, "KernelProvider", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = NameParameterSet)]
[OutputType(typeof(void))]
public sealed class UnregisterKernelProviderCommand : KernelCmdletBase
{
    private const string NameParameterSet = "Name";
    private const string InputObjectParameterSet = "InputObject";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = NameParameterSet, HelpMessage = "Names of the providers to remove.")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(KernelProviderNameCompleter))]
    public string[] Name { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputObjectParameterSet, HelpMessage = "Provider objects from Get-KernelProvider.")]
    [ValidateNotNull]
    public KernelProviderInfo[] InputObject { get; set; } = Array.Empty<KernelProviderInfo>();

    protected override void ProcessRecord()
    {
        var names = ParameterSetName == InputObjectParameterSet ? InputObject.Where(p => p is not null).Select(p => p.Name) : Name;
        foreach (var name in names)
        {
            if (!ShouldProcess(name, "Unregister kernel provider")) continue;
            TryRun(ct => Service.UnregisterProviderAsync(name, ct), name);
        }
    }
}
