using System.Management.Automation;

namespace JupyterKernels.Cmdlets;

/// <summary>Get-KernelSession: lists named sessions.</summary>
[Cmdlet(VerbsCommon.Get, "KernelSession")]
[OutputType(typeof(KernelSession))]
public sealed class GetKernelSessionCommand : KernelCmdletBase
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true, HelpMessage = "Session names; wildcards are allowed.")]
    [Alias("SessionName")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(KernelSessionNameCompleter))]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        var sessions = RunOrThrow(ct => Service.GetSessionsAsync(ct), null);
        WriteMatching(sessions, Name, s => s.Name,
            name => ErrorRecords.Simple(ErrorIds.SessionNotFound, ErrorCategory.ObjectNotFound, $"No session named '{name}'.", name));
    }
}
