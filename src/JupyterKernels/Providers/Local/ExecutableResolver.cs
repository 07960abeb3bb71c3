namespace JupyterKernels.Providers.Local;

/// <summary>Finds argv[0] the way the OS will (PATH, PATHEXT), so "binary missing" is a clear error, not a launch failure.</summary>
internal static class ExecutableResolver
{
    public static string? Resolve(string program, IReadOnlyDictionary<string, string> environment)
    {
        if (program.Contains(Path.DirectorySeparatorChar) || program.Contains(Path.AltDirectorySeparatorChar))
            return IsExecutable(program) ? Path.GetFullPath(program) : null;
        environment.TryGetValue("PATH", out var pathVariable);
        if (OperatingSystem.IsWindows() && pathVariable is null) environment.TryGetValue("Path", out pathVariable);
        var extensions = OperatingSystem.IsWindows()
            ? (environment.TryGetValue("PATHEXT", out var pathExt) ? pathExt : ".EXE;.BAT;.CMD").Split(';', StringSplitOptions.RemoveEmptyEntries).Prepend("")
            : new[] { "" };
        foreach (var dir in (pathVariable ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var ext in extensions)
            {
                var candidate = Path.Combine(dir, program + ext);
                if (IsExecutable(candidate)) return candidate;
            }
        }
        return null;
    }

    private static bool IsExecutable(string path)
    {
        if (!File.Exists(path)) return false;
        if (OperatingSystem.IsWindows()) return true;
        var mode = File.GetUnixFileMode(path);
        return (mode & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
    }
}
