namespace JupyterKernels.Kernelspecs;

/// <summary>
/// Windows, no virtual or conda environment active: the <c>sys.prefix</c> of the Python a user gets by typing
/// <c>python</c>, whose <c>share\jupyter</c> a global <c>pip install ipykernel</c> fills (jupyter_core lists
/// {sys.prefix}\share\jupyter in jupyter_path()). That is the folder of the first <c>python.exe</c> on PATH: python.org
/// and Windows installs put python.exe at the prefix's root. The Microsoft Store's stand-in (an App Execution Alias
/// under ...\WindowsApps) is skipped: it is not a Python, and a Store Python's own prefix is not on PATH.
/// The <c>py</c> launcher's choice is not followed: knowing it means running it, and listing kernelspecs runs nothing.
/// </summary>
internal static class WindowsPythonPrefix
{
    public static string? Find(IJupyterEnvironment environment, Func<string, bool> fileExists)
    {
        if (environment.Platform != JupyterPlatform.Windows || environment.GetNonEmpty("PATH") is not { } path) return null;
        foreach (var entry in path.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var dir = entry.Trim('"').TrimEnd('\\', '/');
            if (dir.Length == 0 || dir.EndsWith("\\WindowsApps", StringComparison.OrdinalIgnoreCase)) continue;
            if (fileExists(dir + "\\python.exe")) return dir;
        }
        return null;
    }
}
