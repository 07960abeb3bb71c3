using System.Text.RegularExpressions;

namespace JupyterKernels.Kernelspecs;

/// <summary>
/// Which Python runs a kernelspec whose argv[0] is a bare <c>python</c>, <c>python3</c> or <c>python3.X</c> (Debian's
/// metakernel-based specs say <c>python -m &lt;kernel&gt;</c>). jupyter_client replaces such an argv[0] with the
/// interpreter it runs in; a .NET process has none, and the first <c>python</c> on PATH may be another installation
/// (pyenv, a venv) without the kernel's module. The rule, first match wins:
/// <list type="number">
/// <item>the interpreter of the Python installation that holds the kernelspec: a spec in
/// <c>&lt;prefix&gt;/share/jupyter/kernels/&lt;name&gt;</c> runs <c>&lt;prefix&gt;/bin/python3</c> (then
/// <c>&lt;prefix&gt;/bin/python</c>; on Windows <c>&lt;prefix&gt;\python.exe</c>) — /usr for Debian's packages, the
/// venv for a spec installed into one;</item>
/// <item><c>python3</c> on PATH (the name Debian and most Linux distributions give Python 3);</item>
/// <item>argv[0] as written, resolved on PATH.</item>
/// </list>
/// An argv[0] with a directory (<c>/usr/bin/python3</c>) or any other program is used as written.
/// </summary>
internal static partial class KernelPython
{
    [GeneratedRegex(@"^python(3(\.\d+)?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex BarePython();

    /// <summary>True for a bare python, python3 or python3.X argv[0] (no directory).</summary>
    public static bool IsBarePython(string argv0) => BarePython().IsMatch(argv0);

    /// <summary>The candidates to try for argv[0], in order (see the class); just argv[0] when it is not a bare python.</summary>
    /// <param name="argv0">The spec's argv[0].</param>
    /// <param name="resourceDirectory">The kernelspec's directory.</param>
    /// <param name="windows">Windows layout (python.exe in the prefix); default: the host OS.</param>
    public static IReadOnlyList<string> Candidates(string argv0, string? resourceDirectory, bool? windows = null)
    {
        if (!IsBarePython(argv0)) return new[] { argv0 };
        var result = new List<string>();
        if (PrefixOf(resourceDirectory) is { } prefix)
        {
            if (windows ?? OperatingSystem.IsWindows())
                result.Add(Path.Combine(prefix, "python.exe"));
            else
            {
                result.Add(Path.Combine(prefix, "bin", "python3"));
                result.Add(Path.Combine(prefix, "bin", "python"));
            }
        }
        result.Add("python3");
        if (argv0 != "python3") result.Add(argv0);
        return result;
    }

    /// <summary><c>&lt;prefix&gt;</c> of <c>&lt;prefix&gt;/share/jupyter/kernels/&lt;name&gt;</c>; null for a spec elsewhere.</summary>
    public static string? PrefixOf(string? resourceDirectory)
    {
        if (string.IsNullOrEmpty(resourceDirectory)) return null;
        var kernels = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(resourceDirectory));
        var jupyter = kernels is null ? null : Path.GetDirectoryName(kernels);
        var share = jupyter is null ? null : Path.GetDirectoryName(jupyter);
        if (kernels is null || jupyter is null || share is null) return null;
        if (!string.Equals(Path.GetFileName(kernels), "kernels", StringComparison.OrdinalIgnoreCase)
            || !string.Equals(Path.GetFileName(jupyter), "jupyter", StringComparison.OrdinalIgnoreCase)
            || !string.Equals(Path.GetFileName(share), "share", StringComparison.OrdinalIgnoreCase))
            return null;
        return Path.GetDirectoryName(share);
    }
}
