using System.Collections;

namespace JupyterKernels.Kernelspecs;

/// <summary>The operating-system families whose Jupyter path rules differ.</summary>
internal enum JupyterPlatform
{
    Linux,
    MacOS,
    Windows,
}

/// <summary>
/// What the Jupyter path rules read from the process: environment variables, the OS family and the home directory.
/// An interface so tests (and callers that launch with a custom environment) can supply their own values without
/// mutating the real process environment, which is shared by every thread.
/// </summary>
internal interface IJupyterEnvironment
{
    JupyterPlatform Platform { get; }

    /// <summary>The user's home directory (what Python's <c>os.path.expanduser("~")</c> gives).</summary>
    string HomeDirectory { get; }

    /// <summary>The value of a variable, or null when it is not set. Case-insensitive on Windows.</summary>
    string? GetVariable(string name);

    /// <summary>A snapshot of all variables (used as the parent environment of a kernel).</summary>
    IReadOnlyDictionary<string, string> GetVariables();
}

/// <summary>The real process environment.</summary>
internal sealed class ProcessJupyterEnvironment : IJupyterEnvironment
{
    public static ProcessJupyterEnvironment Instance { get; } = new();

    private ProcessJupyterEnvironment() { }

    public JupyterPlatform Platform { get; } = OperatingSystem.IsWindows() ? JupyterPlatform.Windows
        : OperatingSystem.IsMacOS() ? JupyterPlatform.MacOS
        : JupyterPlatform.Linux;

    // Python's expanduser reads $HOME first on POSIX (and USERPROFILE on Windows); GetFolderPath does the same
    // on .NET, but falls back to the passwd entry, which matches Python's pwd fallback.
    public string HomeDirectory => Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    public string? GetVariable(string name) => Environment.GetEnvironmentVariable(name);

    public IReadOnlyDictionary<string, string> GetVariables()
    {
        var result = new Dictionary<string, string>(JupyterEnvironmentExtensions.KeyComparer(Platform));
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            result[(string)entry.Key] = (string?)entry.Value ?? "";
        }
        return result;
    }
}

internal static class JupyterEnvironmentExtensions
{
    /// <summary>Windows variable names are case-insensitive, POSIX ones are not.</summary>
    public static StringComparer KeyComparer(JupyterPlatform platform) =>
        platform == JupyterPlatform.Windows ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;

    /// <summary>
    /// jupyter_core's <c>envset</c>: a variable is "set" when it has a value other than no/n/false/off/0/0.0
    /// (case-insensitive). Unset variables give <paramref name="default"/>.
    /// </summary>
    public static bool? EnvSet(this IJupyterEnvironment environment, string name, bool? @default = false)
    {
        var value = environment.GetVariable(name);
        if (value is null)
        {
            return @default;
        }
        return value.ToLowerInvariant() is not ("no" or "n" or "false" or "off" or "0" or "0.0");
    }

    /// <summary>Python's <c>os.environ.get(name)</c> used as a truth value: unset and empty are both "absent".</summary>
    public static string? GetNonEmpty(this IJupyterEnvironment environment, string name)
    {
        var value = environment.GetVariable(name);
        return string.IsNullOrEmpty(value) ? null : value;
    }
}
