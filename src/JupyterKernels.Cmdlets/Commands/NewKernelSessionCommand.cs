using System.Management.Automation;

namespace JupyterKernels.Cmdlets;

/// <summary>New-KernelSession: creates a named session with its kernel, or returns the existing one when its kernel is alive.</summary>
[Cmdlet(VerbsCommon.New, "KernelSession", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(KernelSession))]
public sealed class NewKernelSessionCommand : KernelCmdletBase
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, HelpMessage = "Session name (create or reuse).")]
    [Alias("SessionName")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(KernelSessionNameCompleter))]
    public string Name { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true, HelpMessage = "Kernelspec to start when the session has no live kernel.")]
    [Alias("SpecName")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(KernelSpecNameCompleter))]
    public string KernelName { get; set; } = "";

    [Parameter(HelpMessage = "Path the session is about (a notebook or script path), as Jupyter sessions record it.")]
    public string? Path { get; set; }

    [Parameter(HelpMessage = "Session type: console (default), notebook or file.")]
    [ValidateSet("console", "notebook", "file")]
    public string? Type { get; set; }

    protected override void ProcessRecord()
    {
        if (!ShouldProcess(Name, $"Create or reuse session with kernel '{KernelName}'")) return;
        var activity = $"Starting session {Name}";
        var progress = CreateProgress(2, activity);
        try
        {
            if (TryRun(ct => Service.NewSessionAsync(Name, KernelName, Path, Type, progress, ct), Name, out var session))
                WriteObject(session);
        }
        finally
        {
            CompleteProgress(2, activity);
        }
    }
}
