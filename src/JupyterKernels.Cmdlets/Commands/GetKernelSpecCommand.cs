using System.Management.Automation;
using JupyterKernels.Service;
using JupyterKernels.Providers;

namespace JupyterKernels.Cmdlets;

/// <summary>Get-KernelSpec: lists kernelspecs from every provider (local and registered gateways).</summary>
[Cmdlet(VerbsCommon.Get, "KernelSpec")]
[OutputType(typeof(KernelSpec))]
public sealed class GetKernelSpecCommand : KernelCmdletBase
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true,
        HelpMessage = "Kernelspec names to return; wildcards are allowed. Remote specs are named provider/name.")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(KernelSpecNameCompleter))]
    public string[]? Name { get; set; }

    [Parameter(HelpMessage = "Only list the specs of this provider ('local' or a registered provider name).")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(KernelProviderNameCompleter))]
    public string? Provider { get; set; }

    [Parameter(HelpMessage = "Bypass the provider spec cache and ask every provider again.")]
    public SwitchParameter Refresh { get; set; }

    protected override void ProcessRecord()
    {
        const string activity = "Listing kernelspecs";
        var progress = CreateProgress(3, activity);
        KernelSpecListing listing;
        try
        {
            var only = Provider is null ? KernelService.ProvidersOwningSpecNames(Name) : null;
            listing = RunOrThrow(ct => Service.GetKernelSpecsAsync(Provider, Refresh.IsPresent, ct, progress, onlyProviders: only), Provider);
        }
        finally
        {
            CompleteProgress(3, activity);
        }
        foreach (var warning in listing.Warnings)
            WriteWarning(warning.ErrorId, $"Provider '{warning.Provider}' failed ({warning.ErrorId}): {warning.Message}");

        WriteMatching(listing.Specs, Name, spec => spec.Name,
            name => ErrorRecords.Simple(ErrorIds.KernelSpecNotFound, ErrorCategory.ObjectNotFound, $"No kernelspec named '{name}' was found.", name));
    }
}
