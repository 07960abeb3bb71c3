using System.Management.Automation;

namespace JupyterKernels.Cmdlets;

/// <summary>Get-KernelProvider: the local provider and the registered Jupyter servers/gateways (tokens are never shown).</summary>
[Cmdlet(VerbsCommon.Get, "KernelProvider")]
[OutputType(typeof(KernelProviderInfo))]
public sealed class GetKernelProviderCommand : KernelCmdletBase
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true, HelpMessage = "Provider names; wildcards are allowed.")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(KernelProviderNameCompleter))]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        var providers = RunOrThrow(ct => Service.GetProvidersAsync(ct), null);
        WriteMatching(providers, Name, p => p.Name,
            name => ErrorRecords.Simple(ErrorIds.ProviderNotFound, ErrorCategory.ObjectNotFound, $"No provider named '{name}'.", name));
    }
}
