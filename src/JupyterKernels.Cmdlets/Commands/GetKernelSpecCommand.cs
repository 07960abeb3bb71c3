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
            var only = Provider is null ? ProvidersNamedBy(Name) : null;
            listing = RunOrThrow(ct => Service.GetKernelSpecsAsync(Provider, Refresh.IsPresent, ct, progress, onlyProviders: only), Provider);
        }
        finally
        {
            CompleteProgress(3, activity);
        }
        foreach (var warning in listing.Warnings)
            WriteWarning(warning.ErrorId, $"Provider '{warning.Provider}' failed ({warning.ErrorId}): {warning.Message}");

        if (Name is null || Name.Length == 0)
        {
            WriteObject(listing.Specs, enumerateCollection: true);
            return;
        }
        var written = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in Name)
        {
            var pattern = WildcardPattern.Get(name, WildcardOptions.IgnoreCase);
            var found = false;
            foreach (var spec in listing.Specs)
            {
                if (!pattern.IsMatch(spec.Name)) continue;
                found = true;
                if (written.Add(spec.Name)) WriteObject(spec);
            }
            if (!found && !WildcardPattern.ContainsWildcardCharacters(name))
            {
                WriteError(ErrorRecords.Simple(ErrorIds.KernelSpecNotFound, ErrorCategory.ObjectNotFound,
                    $"No kernelspec named '{name}' was found.", name));
            }
        }
    }

    /// <summary>The providers that own the names asked for, or null when a name may match any provider's specs. A name
    /// without '/' is a local spec: asking it never waits for a remote provider.</summary>
    internal static IReadOnlyCollection<string>? ProvidersNamedBy(string[]? names)
    {
        if (names is null || names.Length == 0) return null;
        var owners = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in names)
        {
            var slash = name.IndexOf('/');
            var owner = slash < 0 ? (WildcardPattern.ContainsWildcardCharacters(name) ? null : KernelService.LocalProviderName) : name[..slash];
            if (owner is null || WildcardPattern.ContainsWildcardCharacters(owner)) return null;
            owners.Add(owner);
        }
        return owners;
    }
}
