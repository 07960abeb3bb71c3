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
        if (Name is null || Name.Length == 0)
        {
            WriteObject(sessions, enumerateCollection: true);
            return;
        }
        foreach (var name in Name)
        {
            var pattern = WildcardPattern.Get(name, WildcardOptions.IgnoreCase);
            var matched = sessions.Where(s => pattern.IsMatch(s.Name)).ToList();
            WriteObject(matched, enumerateCollection: true);
            if (matched.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
                WriteError(ErrorRecords.Simple(ErrorIds.SessionNotFound, ErrorCategory.ObjectNotFound, $"No session named '{name}'.", name));
        }
    }
}
