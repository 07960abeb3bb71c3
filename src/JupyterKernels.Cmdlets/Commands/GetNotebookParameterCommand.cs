using System.Management.Automation;

namespace JupyterKernels.Cmdlets;

/// <summary>
/// Get-NotebookParameter: lists the assignments of a notebook's cell tagged 'parameters' — name, declared or
/// inferred type, default expression, help comment — as papermill --help-notebook does.
/// </summary>
[Cmdlet(VerbsCommon.Get, "NotebookParameter")]
[OutputType(typeof(NotebookParameter))]
public sealed class GetNotebookParameterCommand : KernelCmdletBase
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, HelpMessage = "The notebook (.ipynb). Wildcards are allowed.")]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    [Parameter(HelpMessage = "Read the cell as this language (Python, R, PowerShell, C#, F#) instead of the notebook's metadata.kernelspec.language.")]
    [ValidateSet("python", "R", "powershell", "C#", "F#", IgnoreCase = true)]
    public string? Language { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var pattern in Path)
        {
            System.Collections.ObjectModel.Collection<string> files;
            try
            {
                files = GetResolvedProviderPathFromPSPath(pattern, out _);
            }
            catch (Exception e) when (e is ItemNotFoundException or ProviderNotFoundException or System.Management.Automation.DriveNotFoundException)
            {
                WriteError(ErrorRecords.Simple(ErrorIds.NotebookNotFound, ErrorCategory.ObjectNotFound, $"Notebook '{pattern}' not found: {e.Message}", pattern));
                continue;
            }
            foreach (var file in files)
            {
                if (TryRun(ct => Service.GetNotebookParametersAsync(file, Language, ct), file, out var parameters))
                    foreach (var p in parameters) WriteObject(p);
            }
        }
    }
}
