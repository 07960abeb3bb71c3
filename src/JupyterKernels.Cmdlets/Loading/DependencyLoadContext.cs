using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace JupyterKernels.Cmdlets.Loading;

/// <summary>
/// The module's private AssemblyLoadContext for third-party dependencies (Microsoft.Data.Sqlite, SQLitePCLRaw.*) kept in
/// <c>dependencies/</c>, so other modules' versions of them cannot clash with ours. Native SQLite is found under
/// <c>dependencies/runtimes/&lt;rid&gt;/native/</c> for the current platform. Each assembly loads from the ReadyToRun
/// image for this platform when the module has one (<see cref="ReadyToRunImages"/>), else from its IL.
/// Deliberately free of System.Management.Automation types: xunit exercises it without PowerShell.
/// </summary>
public sealed class DependencyLoadContext : AssemblyLoadContext
{
    private readonly string _dependencyDirectory;

    public DependencyLoadContext(string dependencyDirectory)
        : base("JupyterKernels.Dependencies", isCollectible: false)
    {
        _dependencyDirectory = Path.GetFullPath(dependencyDirectory);
    }

    public string DependencyDirectory => _dependencyDirectory;

    /// <summary>Assemblies of dependencies/ load here; anything else (framework, our own assemblies) falls back to Default.</summary>
    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (assemblyName.Name is not { Length: > 0 } name) return null;
        if (!File.Exists(Path.Combine(_dependencyDirectory, name + ".dll"))) return null;
        return LoadFromAssemblyPath(ReadyToRunImages.Pick(_dependencyDirectory, name + ".dll"));
    }

    /// <summary>DllImport("e_sqlite3") from SQLitePCLRaw.provider.e_sqlite3 (loaded here) arrives here.</summary>
    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        var path = FindNativeLibrary(unmanagedDllName);
        return path is null ? IntPtr.Zero : LoadUnmanagedDllFromPath(path);
    }

    /// <summary>Full path of a native library under runtimes/&lt;rid&gt;/native/ for this platform, or null.</summary>
    public string? FindNativeLibrary(string unmanagedDllName)
    {
        foreach (var rid in CandidateRuntimeIdentifiers())
        {
            var dir = Path.Combine(_dependencyDirectory, "runtimes", rid, "native");
            if (!Directory.Exists(dir)) continue;
            foreach (var file in CandidateFileNames(unmanagedDllName))
            {
                var path = Path.Combine(dir, file);
                if (File.Exists(path)) return path;
            }
        }
        return null;
    }

    /// <summary>RIDs to probe, most specific first: e.g. linux-musl-x64 then linux-x64 on Alpine.</summary>
    public static IReadOnlyList<string> CandidateRuntimeIdentifiers() => RuntimeIdentifiers.ForThisProcess();

    private static IEnumerable<string> CandidateFileNames(string name)
    {
        yield return name;
        string ext = OperatingSystem.IsWindows() ? ".dll" : OperatingSystem.IsMacOS() ? ".dylib" : ".so";
        var bare = name;
        if (bare.EndsWith(ext, StringComparison.OrdinalIgnoreCase)) bare = bare[..^ext.Length];
        yield return bare + ext;
        if (!OperatingSystem.IsWindows() && !bare.StartsWith("lib", StringComparison.Ordinal))
            yield return "lib" + bare + ext;
    }
}
