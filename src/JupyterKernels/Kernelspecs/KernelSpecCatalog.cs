using System.Text.RegularExpressions;

namespace JupyterKernels.Kernelspecs;

/// <summary>Something wrong with one kernelspec directory; the other specs are still listed.</summary>
internal sealed record KernelSpecProblem(string Path, string Message, string ErrorId);

/// <summary>The specs found, plus one problem per directory that could not be used.</summary>
internal sealed record KernelSpecCatalogListing(IReadOnlyList<KernelSpec> Specs, IReadOnlyList<KernelSpecProblem> Problems);

/// <summary>
/// Discovers local kernelspecs the way jupyter_client's KernelSpecManager does: every subdirectory holding a
/// kernel.json in the kernelspec dirs, named by the directory name lower-cased, the first directory in search order
/// winning for a name.
/// </summary>
/// <remarks>
/// Differences from jupyter_client, on purpose: directories with invalid names are skipped (jupyter_client only warns
/// and still lists them), and no built-in ipykernel spec is added when none is installed (that needs Python's import
/// machinery).
/// </remarks>
internal sealed partial class KernelSpecCatalog
{
    public const string ProviderName = "local";

    // jupyter_client _kernel_name_pat (re.IGNORECASE); names are lower-cased before the check anyway.
    [GeneratedRegex("^[a-z0-9._-]+$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ValidName();

    public KernelSpecCatalog(IEnumerable<string> kernelSpecDirs)
    {
        SearchDirectories = kernelSpecDirs.ToList();
    }

    /// <summary>A catalog over <see cref="JupyterPaths.KernelSpecDirs"/> of the given (default: current) environment.</summary>
    public static KernelSpecCatalog FromEnvironment(IJupyterEnvironment? environment = null, string? environmentPrefix = null) =>
        new(new JupyterPaths(environment, environmentPrefix).KernelSpecDirs);

    /// <summary>The kernels directories searched, highest priority first.</summary>
    public IReadOnlyList<string> SearchDirectories { get; }

    public static bool IsValidName(string name) => ValidName().IsMatch(name);

    /// <summary>Every spec, sorted by name, and the problems met. Never throws for a bad spec.</summary>
    public KernelSpecCatalogListing List()
    {
        var specs = new List<KernelSpec>();
        var problems = new List<KernelSpecProblem>();
        foreach (var (name, directory) in FindSpecDirectories(problems))
        {
            try
            {
                specs.Add(KernelSpecFile.Load(Path.Combine(directory, KernelSpecFile.FileName)).ToKernelSpec(name, directory, ProviderName));
            }
            catch (KernelException ex)
            {
                problems.Add(new KernelSpecProblem(Path.Combine(directory, KernelSpecFile.FileName), ex.Message, ex.ErrorId));
            }
        }
        specs.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return new KernelSpecCatalogListing(specs, problems);
    }

    /// <summary>
    /// The spec named <paramref name="name"/> (case-insensitive). Throws KernelSpecNotFound (listing the available
    /// names) or KernelSpecInvalid when the winning directory's kernel.json is broken: a broken spec is not silently
    /// replaced by a lower-priority one, as in jupyter_client.
    /// </summary>
    public KernelSpec Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var key = name.ToLowerInvariant();
        if (IsValidName(key))
        {
            foreach (var (found, directory) in FindSpecDirectories(problems: null))
            {
                if (found == key)
                {
                    return KernelSpecFile.Load(Path.Combine(directory, KernelSpecFile.FileName)).ToKernelSpec(found, directory, ProviderName);
                }
            }
        }

        var available = List().Specs.Select(s => s.Name).ToList();
        var list = available.Count == 0
            ? $"No kernelspecs were found in: {string.Join(", ", SearchDirectories)}."
            : $"Available: {string.Join(", ", available)}.";
        var why = IsValidName(key) ? "" : " (kernel names may only contain letters, digits, '-', '.' and '_')";
        throw new KernelException(ErrorIds.KernelSpecNotFound, KernelErrorCategory.ObjectNotFound,
            $"No kernelspec named '{name}'{why}. {list}", name);
    }

    /// <summary>Like <see cref="Find"/> but returns false when there is no such spec (a broken one still throws).</summary>
    public bool TryFind(string name, out KernelSpec? spec)
    {
        try
        {
            spec = Find(name);
            return true;
        }
        catch (KernelException ex) when (ex.ErrorId == ErrorIds.KernelSpecNotFound)
        {
            spec = null;
            return false;
        }
    }

    /// <summary>(name, directory) for every kernel directory, first occurrence of each name only, in search order.</summary>
    private IEnumerable<(string Name, string Directory)> FindSpecDirectories(List<KernelSpecProblem>? problems)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var kernelsDir in SearchDirectories)
        {
            if (!Directory.Exists(kernelsDir))
            {
                continue;
            }
            string[] children;
            try
            {
                // Sorted so that two directories differing only in case resolve the same way on every run.
                children = Directory.GetDirectories(kernelsDir);
                Array.Sort(children, StringComparer.Ordinal);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                problems?.Add(new KernelSpecProblem(kernelsDir, $"Cannot list kernelspec directory '{kernelsDir}': {ex.Message}", ErrorIds.KernelSpecInvalid));
                continue;
            }
            foreach (var child in children)
            {
                // jupyter_client _is_kernel_dir: a directory containing kernel.json; anything else is not a kernel.
                if (!File.Exists(Path.Combine(child, KernelSpecFile.FileName)))
                {
                    continue;
                }
                var name = Path.GetFileName(child).ToLowerInvariant();
                if (!IsValidName(name))
                {
                    problems?.Add(new KernelSpecProblem(child,
                        $"Skipped kernelspec directory '{child}': kernel names may only contain ASCII letters, digits and the separators - . _",
                        ErrorIds.KernelSpecInvalid));
                    continue;
                }
                if (seen.Add(name))
                {
                    yield return (name, child);
                }
            }
        }
    }
}
