using System.Management.Automation;

namespace JupyterKernels.Cmdlets;

/// <summary>Save-KernelSpecResource: copies a kernelspec's logos (and kernel.js) to a folder, local or remote.</summary>
[Cmdlet(VerbsData.Save, "KernelSpecResource", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(FileInfo))]
public sealed class SaveKernelSpecResourceCommand : KernelCmdletBase
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true,
        HelpMessage = "Kernelspec names (provider/name for remote specs). Binds the Name of Get-KernelSpec output.")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(KernelSpecNameCompleter))]
    public string[] Name { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true, Position = 1, HelpMessage = "Folder to save in: each kernelspec's files go to <Path>/<spec name> (created when missing; files of the same name are replaced).")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    protected override void ProcessRecord()
    {
        var folder = GetUnresolvedProviderPathFromPSPath(Path);
        foreach (var name in Name)
        {
            if (!ShouldProcess($"{name} → {System.IO.Path.Combine(folder, name)}", "Save kernelspec resources")) continue;
            if (!TryRun(ct => Service.SaveKernelSpecResourcesAsync(name, folder, ct), name, out var files)) continue;
            // Through the FileSystem provider, as Get-Item gives them: the default view then has its Directory header,
            // mode, owner and size (a bare FileInfo lacks the provider's PSParentPath and shows empty columns).
            foreach (var file in files) WriteObject(InvokeProvider.Item.Get(new[] { file }, force: true, literalPath: true), enumerateCollection: true);
        }
    }
}
