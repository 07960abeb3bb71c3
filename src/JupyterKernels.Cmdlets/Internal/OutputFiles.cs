using System.Management.Automation;

namespace JupyterKernels.Cmdlets;

/// <summary>What Save-KernelOutput and Invoke-KernelCode -OutDirectory share: which MIME types to save, the notebook
/// cell an output came from, and the saved file as the FileSystem provider's item (so its view is Get-Item's).</summary>
internal static class OutputFiles
{
    /// <summary>A MIME type filter from wildcard patterns (image/*); null = the default types.</summary>
    public static Func<string, bool>? Selector(string[]? patterns)
    {
        if (patterns is null || patterns.Length == 0) return null;
        var compiled = patterns.Select(p => WildcardPattern.Get(p, WildcardOptions.IgnoreCase)).ToArray();
        return mime => compiled.Any(p => p.IsMatch(mime));
    }

    /// <summary>The CellIndex Invoke-Notebook -PassThru adds to each output it writes; null for other outputs.</summary>
    public static int? CellIndex(PSObject item) =>
        item.Properties["CellIndex"]?.Value is { } value && LanguagePrimitives.TryConvertTo<int>(value, out var index) ? index : null;

    /// <summary>The file as Get-Item writes it (FileInfo with PSPath, PSParentPath: the view's Directory: header).</summary>
    public static PSObject Item(PSCmdlet cmdlet, string path)
    {
        try
        {
            var items = cmdlet.InvokeProvider.Item.Get([path], force: true, literalPath: true);
            if (items.Count == 1) return items[0];
        }
        catch (Exception e) when (e is ProviderNotFoundException or ItemNotFoundException or System.Management.Automation.DriveNotFoundException or NotSupportedException)
        {
        }
        return PSObject.AsPSObject(new FileInfo(path));
    }
}
