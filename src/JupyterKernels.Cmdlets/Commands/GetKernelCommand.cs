using System.Management.Automation;

namespace JupyterKernels.Cmdlets;

/// <summary>Get-Kernel: kernels known to the store (started here, by another process, or adopted).</summary>
[Cmdlet(VerbsCommon.Get, "Kernel")]
[OutputType(typeof(Kernel))]
public sealed class GetKernelCommand : KernelCmdletBase
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true,
        HelpMessage = "Kernel ids to return; wildcards are allowed.")]
    [Alias("Id")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(KernelIdCompleter))]
    public string[]? KernelId { get; set; }

    [Parameter(HelpMessage = "Only kernels of these kernelspec names; wildcards are allowed.")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(KernelSpecNameCompleter))]
    public string[]? Name { get; set; }

    [Parameter(HelpMessage = "Only kernels in these states.")]
    public KernelState[]? State { get; set; }

    [Parameter(HelpMessage = "Only kernels of this provider.")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(KernelProviderNameCompleter))]
    public string? Provider { get; set; }

    protected override void ProcessRecord()
    {
        // Exact ids: ask for each one so a missing id is a KernelNotFound error, like Get-Process -Id.
        if (KernelId is { Length: > 0 } && KernelId.All(i => !WildcardPattern.ContainsWildcardCharacters(i)))
        {
            foreach (var id in KernelId)
                if (TryRun(ct => Service.GetKernelAsync(id, ct), id, out var kernel) && Matches(kernel))
                    WriteObject(kernel);
            return;
        }

        var kernels = RunOrThrow(ct => Service.GetKernelsAsync(ct), null);
        var idPatterns = KernelId?.Select(i => WildcardPattern.Get(i, WildcardOptions.IgnoreCase)).ToArray();
        foreach (var kernel in kernels)
        {
            if (idPatterns is not null && !idPatterns.Any(p => p.IsMatch(kernel.Id) || (kernel.RemoteId is { } serverId && p.IsMatch(serverId)))) continue;
            if (Matches(kernel)) WriteObject(kernel);
        }
    }

    private bool Matches(Kernel kernel)
    {
        if (Name is { Length: > 0 } && !Name.Any(n => WildcardPattern.Get(n, WildcardOptions.IgnoreCase).IsMatch(kernel.Name))) return false;
        if (State is { Length: > 0 } && !State.Contains(kernel.State)) return false;
        if (Provider is not null && !string.Equals(Provider, kernel.Provider, StringComparison.OrdinalIgnoreCase)) return false;
        return true;
    }
}
