using System.Management.Automation;

namespace JupyterKernels.Cmdlets;

/// <summary>
/// Save-KernelOutput: writes the MIME bundle of display data and execute results from the pipeline (Invoke-KernelCode,
/// Invoke-Notebook -PassThru) to files, one per MIME type, named after the kernel, the execution (or notebook cell) and
/// the output's index; writes a FileInfo per file. Other objects on the pipeline (stream text, the notebook run's
/// result) are passed over.
/// </summary>
[Cmdlet(VerbsData.Save, "KernelOutput", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(FileInfo))]
public sealed class SaveKernelOutputCommand : KernelCmdletBase
{
    private Func<string, bool>? _select;
    private string _folder = "";

    [Parameter(Mandatory = true, ValueFromPipeline = true,
        HelpMessage = "Outputs to save: KernelDisplayData and KernelExecuteResult objects (Invoke-KernelCode, Invoke-Notebook -PassThru). Other objects are passed over.")]
    [AllowNull]
    public PSObject? InputObject { get; set; }

    [Parameter(Position = 0, HelpMessage = "Folder to save in (created when missing). Default: the current location.")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = ".";

    [Parameter(HelpMessage = "Save only these MIME types (wildcards: image/*). Default: every type of the bundle but text/plain, which is saved when it is the only one.")]
    [ValidateNotNullOrEmpty]
    public string[]? MimeType { get; set; }

    [Parameter(HelpMessage = "Replace files of the same name (otherwise an existing file is an OutputFileExists error and is left as it was).")]
    public SwitchParameter Force { get; set; }

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        _select = OutputFiles.Selector(MimeType);
        _folder = GetUnresolvedProviderPathFromPSPath(Path);
    }

    protected override void ProcessRecord()
    {
        if (InputObject?.BaseObject is not KernelRichOutput output)
        {
            if (InputObject?.BaseObject is KernelOutput or NotebookRunResult)
                WriteVerbose($"Passed over a {InputObject.BaseObject.GetType().Name}: only display data and execute results have a bundle to save.");
            else if (InputObject is not null)
                WriteArgumentError(ErrorIds.OutputNotSavable, $"Save-KernelOutput saves KernelDisplayData and KernelExecuteResult objects; got {InputObject.BaseObject.GetType().FullName}.", InputObject);
            return;
        }
        foreach (var file in KernelOutputFiles.For(output, OutputFiles.CellIndex(InputObject), _select))
        {
            var path = System.IO.Path.Combine(_folder, file.FileName);
            if (!ShouldProcess(path, $"Save {file.MimeType} ({file.Content.Length} bytes)")) continue;
            try
            {
                KernelOutputFiles.Write(_folder, file, Force.IsPresent);
            }
            catch (KernelException e)
            {
                WriteError(ErrorRecords.From(e, path));
                continue;
            }
            WriteObject(OutputFiles.Item(this, path));
        }
    }
}
