using System.Reflection;
using System.Runtime.InteropServices;

namespace JupyterKernels.Tests.Module;

/// <summary>
/// Locates the built module folder (out/JupyterKernels/) and opens its assemblies with MetadataLoadContext,
/// resolving System.Management.Automation from PowerShellStandard.Library in the NuGet cache: no PowerShell needed.
/// </summary>
public sealed class ModuleLayout : IDisposable
{
    public const string SmaPackageVersion = "5.1.0-preview-06";

    public ModuleLayout()
    {
        RepoRoot = FindRepoRoot();
        ModuleDir = Path.Combine(RepoRoot, "out", "JupyterKernels");
        DependencyDir = Path.Combine(ModuleDir, "dependencies");
        if (!File.Exists(CmdletsDllPath))
            throw new InvalidOperationException($"The module is not built: {CmdletsDllPath} is missing. Run 'dotnet build -c Release' first.");

        var smaDir = Path.Combine(NuGetPackagesRoot(), "powershellstandard.library", SmaPackageVersion, "lib", "netstandard2.0");
        var paths = Directory.GetFiles(RuntimeEnvironment.GetRuntimeDirectory(), "*.dll")
            .Concat(Directory.GetFiles(smaDir, "*.dll"))
            .Concat(Directory.GetFiles(ModuleDir, "*.dll"))
            .Concat(Directory.GetFiles(DependencyDir, "*.dll"))
            .GroupBy(Path.GetFileName, StringComparer.OrdinalIgnoreCase)
            .Select(g => g.First());
        Context = new MetadataLoadContext(new PathAssemblyResolver(paths));
        Cmdlets = Context.LoadFromAssemblyPath(CmdletsDllPath);
        Core = Context.LoadFromAssemblyPath(Path.Combine(ModuleDir, "JupyterKernels.dll"));
    }

    public string RepoRoot { get; }
    public string ModuleDir { get; }
    public string DependencyDir { get; }
    public string CmdletsDllPath => Path.Combine(ModuleDir, "JupyterKernels.Cmdlets.dll");
    public string ManifestPath => Path.Combine(ModuleDir, "JupyterKernels.psd1");
    public string FormatPath => Path.Combine(ModuleDir, "Format.ps1xml");
    public string HelpPath => Path.Combine(ModuleDir, "en-US", "JupyterKernels.Cmdlets.dll-Help.xml");
    public MetadataLoadContext Context { get; }
    public Assembly Cmdlets { get; }
    public Assembly Core { get; }

    public void Dispose() => Context.Dispose();

    public static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "JupyterKernels.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("JupyterKernels.sln not found above " + AppContext.BaseDirectory);
    }

    public static string NuGetPackagesRoot() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
            ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
}

/// <summary>One cmdlet class as seen through metadata.</summary>
public sealed record CmdletInfo(Type Type, string Verb, string Noun, CustomAttributeData Attribute)
{
    public string Name => $"{Verb}-{Noun}";

    public T? Named<T>(string member) => NamedArg<T>(Attribute, member);

    public static T? NamedArg<T>(CustomAttributeData data, string member) =>
        data.NamedArguments.Where(a => a.MemberName == member).Select(a => (T?)a.TypedValue.Value).FirstOrDefault();

    public IEnumerable<ParameterInfoMeta> Parameters()
    {
        foreach (var prop in Type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var attrs = prop.GetCustomAttributesData().Where(a => a.AttributeType.FullName == "System.Management.Automation.ParameterAttribute").ToList();
            if (attrs.Count > 0) yield return new ParameterInfoMeta(prop, attrs);
        }
    }
}

public sealed record ParameterInfoMeta(PropertyInfo Property, IReadOnlyList<CustomAttributeData> ParameterAttributes)
{
    public const string AllSets = "__AllParameterSets";
    public string Name => Property.Name;
    public static string SetOf(CustomAttributeData a) => CmdletInfo.NamedArg<string>(a, "ParameterSetName") ?? AllSets;

    public IEnumerable<CustomAttributeData> Attributes(string typeFullName) =>
        Property.GetCustomAttributesData().Where(a => a.AttributeType.FullName == typeFullName);
}
