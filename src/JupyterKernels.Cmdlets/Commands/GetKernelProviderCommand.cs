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
        if (Name is null || Name.Length == 0)
        {
            WriteObject(providers, enumerateCollection: true);
            return;
        }
        foreach (var name in Name)
        {
            var pattern = WildcardPattern.Get(name, WildcardOptions.IgnoreCase);
            var matched = providers.Where(p => pattern.IsMatch(p.Name)).ToList();
            WriteObject(matched, enumerateCollection: true);
            if (matched.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
                WriteError(ErrorRecords.Simple(ErrorIds.ProviderNotFound, ErrorCategory.ObjectNotFound, $"No provider named '{name}'.", name));
        }
    }
}
