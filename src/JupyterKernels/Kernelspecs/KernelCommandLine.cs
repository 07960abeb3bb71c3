using System.Text.RegularExpressions;

namespace JupyterKernels.Kernelspecs;

/// <summary>
/// Turns a kernelspec's argv and env into what a kernel process is started with, as jupyter_client does
/// (manager.py <c>format_kernel_cmd</c>, launcher.py, provisioner_base.py <c>__apply_env_substitutions</c>).
/// </summary>
/// <remarks>
/// jupyter_client replaces argv[0] "python"/"python3"/"python3.X" with its own sys.executable; a .NET process has no
/// such interpreter: <see cref="KernelPython"/> says which Python runs such a spec.
/// </remarks>
internal static partial class KernelCommandLine
{
    /// <summary>The variable jupyter_client sets so a kernel exits with its parent; our kernels are detached and must outlive it.</summary>
    public const string ParentPidVariable = "JPY_PARENT_PID";

    [GeneratedRegex(@"\{([A-Za-z0-9_]+)\}", RegexOptions.CultureInvariant)]
    private static partial Regex Placeholder();

    // Python string.Template's pattern: $$, $identifier, ${identifier}, or a lone $ (left alone by safe_substitute).
    [GeneratedRegex(@"\$(?:(?<escaped>\$)|(?<named>[_a-zA-Z][_a-zA-Z0-9]*)|\{(?<braced>[_a-zA-Z][_a-zA-Z0-9]*)\})", RegexOptions.CultureInvariant)]
    private static partial Regex TemplateToken();

    /// <summary>
    /// Substitutes <c>{connection_file}</c>, <c>{resource_dir}</c>, <c>{prefix}</c> and any <paramref name="extra"/>
    /// names in every element; unknown names stay as written. Then expands a leading <c>~</c> (jupyter_client runs
    /// os.path.expanduser on every element after formatting).
    /// </summary>
    /// <param name="argv">The kernelspec's argv.</param>
    /// <param name="connectionFile">Passed as given: the caller supplies the full (real) path.</param>
    /// <param name="resourceDirectory">The kernelspec directory; null leaves <c>{resource_dir}</c> as written.</param>
    /// <param name="prefix">The Python prefix; null leaves <c>{prefix}</c> as written.</param>
    /// <param name="extra">More names (jupyter_client's launch kwargs); they override the built-in ones.</param>
    /// <param name="homeDirectory">For <c>~</c>; null = the current user's home.</param>
    /// <param name="windowsPaths">Also treat <c>~\</c> as the home prefix (Python's ntpath does); default: the host OS.</param>
    public static IReadOnlyList<string> FormatArgv(
        IReadOnlyList<string> argv,
        string connectionFile,
        string? resourceDirectory = null,
        string? prefix = null,
        IReadOnlyDictionary<string, string>? extra = null,
        string? homeDirectory = null,
        bool? windowsPaths = null)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal) { ["connection_file"] = connectionFile };
        if (prefix is not null)
        {
            values["prefix"] = prefix;
        }
        if (resourceDirectory is not null)
        {
            values["resource_dir"] = resourceDirectory;
        }
        if (extra is not null)
        {
            foreach (var (key, value) in extra)
            {
                values[key] = value;
            }
        }

        var home = homeDirectory ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var windows = windowsPaths ?? OperatingSystem.IsWindows();
        var result = new List<string>(argv.Count);
        foreach (var arg in argv)
        {
            var formatted = Placeholder().Replace(arg, m => values.TryGetValue(m.Groups[1].Value, out var v) ? v : m.Value);
            result.Add(ExpandUser(formatted, home, windows));
        }
        return result;
    }

    /// <summary>
    /// os.path.expanduser for the current user only: "~" and "~/..." (and "~\..." on Windows) start with the home
    /// directory. "~otheruser" needs the passwd database and is left as written.
    /// </summary>
    public static string ExpandUser(string value, string homeDirectory, bool windowsPaths = false)
    {
        if (value.Length == 0 || value[0] != '~')
        {
            return value;
        }
        if (value.Length == 1)
        {
            return homeDirectory;
        }
        if (value[1] == '/' || (windowsPaths && value[1] == '\\'))
        {
            return homeDirectory.TrimEnd('/', '\\') + value[1..];
        }
        return value;
    }

    /// <summary>
    /// Python's <c>string.Template(template).safe_substitute(values)</c>: <c>$name</c> and <c>${name}</c> are replaced
    /// when <paramref name="values"/> has the name, and left as written when not; <c>$$</c> becomes <c>$</c>; any
    /// other <c>$</c> is kept.
    /// </summary>
    public static string SafeSubstitute(string template, IReadOnlyDictionary<string, string> values)
    {
        if (!template.Contains('$'))
        {
            return template;
        }
        return TemplateToken().Replace(template, m =>
        {
            if (m.Groups["escaped"].Success)
            {
                return "$";
            }
            var name = m.Groups["named"].Success ? m.Groups["named"].Value : m.Groups["braced"].Value;
            return values.TryGetValue(name, out var value) ? value : m.Value;
        });
    }

    /// <summary>
    /// The environment for a kernel: <paramref name="parentEnvironment"/> with the spec's env merged over it, each
    /// spec value first substituted from the parent environment (as jupyter_client's provisioner does), and
    /// <c>JPY_PARENT_PID</c> removed so the kernel does not exit when this process does.
    /// </summary>
    /// <param name="specEnv">The kernelspec's env.</param>
    /// <param name="parentEnvironment">The environment the kernel inherits (normally this process's).</param>
    /// <param name="ignoreCase">Windows variable names are case-insensitive; default: the host OS.</param>
    public static Dictionary<string, string> BuildEnvironment(
        IReadOnlyDictionary<string, string> specEnv,
        IReadOnlyDictionary<string, string> parentEnvironment,
        bool? ignoreCase = null)
    {
        var comparer = ignoreCase ?? OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;
        var result = new Dictionary<string, string>(comparer);
        foreach (var (key, value) in parentEnvironment)
        {
            result[key] = value;
        }
        // Substitution reads the parent environment, not the partly merged one: jupyter_client computes all spec
        // values from the same snapshot, so one spec entry never sees another.
        var lookup = new Dictionary<string, string>(result, comparer);
        foreach (var (key, value) in specEnv)
        {
            result[key] = SafeSubstitute(value, lookup);
        }
        result.Remove(ParentPidVariable);
        return result;
    }

    /// <summary><see cref="BuildEnvironment(IReadOnlyDictionary{string,string},IReadOnlyDictionary{string,string},bool?)"/> over an <see cref="IJupyterEnvironment"/>.</summary>
    public static Dictionary<string, string> BuildEnvironment(IReadOnlyDictionary<string, string> specEnv, IJupyterEnvironment environment) =>
        BuildEnvironment(specEnv, environment.GetVariables(), environment.Platform == JupyterPlatform.Windows);
}
