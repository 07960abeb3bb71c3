using System.Management.Automation;

namespace JupyterKernels.Cmdlets;

/// <summary>Get-KernelSubShell: lists a kernel's subshells.</summary>
[Cmdlet(VerbsCommon.Get, "KernelSubShell", DefaultParameterSetName = IdParameterSet)]
[OutputType(typeof(KernelSubShell))]
public sealed class GetKernelSubShellCommand : KernelTargetCmdletBase
{
    [Parameter(HelpMessage = "Only these subshell ids; wildcards are allowed.")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? SubShellId { get; set; }

    protected override void ProcessRecord()
    {
        var patterns = SubShellId?.Select(s => WildcardPattern.Get(s, WildcardOptions.IgnoreCase)).ToArray();
        foreach (var (id, _) in TargetKernels())
        {
            if (!TryRun(ct => Service.GetSubShellsAsync(id, ct), id, out var subShells)) continue;
            foreach (var subShell in subShells)
                if (patterns is null || patterns.Any(p => p.IsMatch(subShell.SubShellId)))
                    WriteObject(subShell);
            if (SubShellId is not null)
            {
                foreach (var wanted in SubShellId.Where(s => !WildcardPattern.ContainsWildcardCharacters(s)))
                    if (!subShells.Any(s => string.Equals(s.SubShellId, wanted, StringComparison.OrdinalIgnoreCase)))
                        WriteError(ErrorRecords.Simple(ErrorIds.SubShellNotFound, ErrorCategory.ObjectNotFound,
                            $"Kernel {id} has no subshell '{wanted}'.", wanted));
            }
        }
    }
}
