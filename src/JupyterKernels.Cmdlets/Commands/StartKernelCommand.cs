using System.Collections;
using System.Management.Automation;
using JupyterKernels.Service;

namespace JupyterKernels.Cmdlets;

/// <summary>Start-Kernel: starts a kernel (detached, recorded in the store) and writes its Kernel object.</summary>
[Cmdlet(VerbsLifecycle.Start, "Kernel", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(Kernel))]
public sealed class StartKernelCommand : KernelCmdletBase
{
    private const string Activity = "Starting kernel";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true,
        HelpMessage = "Kernelspec name: bare for the local provider, provider/name for a remote one.")]
    [Alias("KernelName", "SpecName")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(KernelSpecNameCompleter))]
    public string Name { get; set; } = "";

    [Parameter(HelpMessage = "Name of a session to bind the new kernel to.")]
    [ValidateNotNullOrEmpty]
    public string? SessionName { get; set; }

    [Parameter(HelpMessage = "Working directory of the kernel process (local provider) or of the kernel (remote).")]
    [ValidateNotNullOrEmpty]
    public string? WorkingDirectory { get; set; }

    [Parameter(HelpMessage = "Extra environment variables for the kernel, as a hashtable of name = value.")]
    public Hashtable? Environment { get; set; }

    [Parameter(HelpMessage = "How long to wait for the kernel to answer kernel_info (TimeSpan, or seconds). Default 60 s.")]
    [TimeSpanArgument]
    [ValidatePositiveTimeSpan]
    public TimeSpan? Timeout { get; set; }

    protected override void ProcessRecord()
    {
        if (!ShouldProcess(Name, "Start kernel")) return;

        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Environment is not null)
            foreach (DictionaryEntry entry in Environment)
                env[entry.Key?.ToString() ?? ""] = entry.Value?.ToString() ?? "";

        var options = new StartKernelOptions
        {
            SpecName = Name,
            SessionName = SessionName,
            WorkingDirectory = WorkingDirectory is null ? null : GetUnresolvedProviderPathFromPSPath(WorkingDirectory),
            Environment = env,
            StartTimeout = Timeout ?? TimeSpan.FromSeconds(60),
        };
        var activity = $"{Activity} {Name}";
        var progress = CreateProgress(1, activity);
        try
        {
            if (TryRun(ct => Service.StartKernelAsync(options, progress, ct), Name, out var kernel))
                WriteObject(kernel);
        }
        finally
        {
            CompleteProgress(1, activity);
        }
    }
}
