using System.Reflection;
using System.Runtime.Loader;

namespace JupyterKernels.Cmdlets.Loading;

/// <summary>
/// Hooks <see cref="AssemblyLoadContext.Default"/>.Resolving so that when JupyterKernels.dll (default ALC) needs
/// Microsoft.Data.Sqlite or SQLitePCLRaw.*, they come from <c>dependencies/</c> through <see cref="DependencyLoadContext"/>.
/// It also serves the module's core (JupyterKernels.dll) into the default context, from the ReadyToRun image for this
/// platform when the module has one (<see cref="ReadyToRunImages"/>): this handler runs before the runtime's
/// Assembly.LoadFrom probing of the module folder, which would find only the IL. The core is first needed when
/// <see cref="ModuleInitializer"/> calls into it, after <see cref="Install"/>.
/// Only those names are served: requests for anything else are left to other handlers. No PowerShell types here.
/// </summary>
public static class DependencyResolver
{
    private static readonly object Gate = new();
    private static DependencyLoadContext? s_context;
    private static int s_installCount;

    /// <summary>Prefixes of the isolated third-party assemblies.</summary>
    private static readonly string[] IsolatedPrefixes = { "Microsoft.Data.Sqlite", "SQLitePCLRaw." };

    /// <summary>The dependency context once installed (null before).</summary>
    public static DependencyLoadContext? Context => s_context;

    /// <summary>The module's core assembly, loaded in the default context beside the cmdlets.</summary>
    public const string CoreAssemblyName = "JupyterKernels";

    public static bool IsInstalled { get { lock (Gate) return s_installCount > 0; } }

    public static bool IsIsolatedDependency(string? assemblyName)
    {
        if (string.IsNullOrEmpty(assemblyName)) return false;
        foreach (var prefix in IsolatedPrefixes)
            if (assemblyName.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    /// <summary>The dependencies folder of a module root (the folder of JupyterKernels.Cmdlets.dll).</summary>
    public static string DependencyDirectoryFor(string moduleRoot) => Path.Combine(moduleRoot, "dependencies");

    /// <summary>Attach the handler (idempotent: counted, so nested imports need matching uninstalls).</summary>
    public static void Install(string dependencyDirectory)
    {
        lock (Gate)
        {
            s_context ??= new DependencyLoadContext(dependencyDirectory);
            if (s_installCount++ == 0)
                AssemblyLoadContext.Default.Resolving += OnResolving;
        }
    }

    /// <summary>Detach the handler when the last import is removed. Already-loaded assemblies stay loaded.</summary>
    public static void Uninstall()
    {
        lock (Gate)
        {
            if (s_installCount == 0) return;
            if (--s_installCount == 0)
                AssemblyLoadContext.Default.Resolving -= OnResolving;
        }
    }

    /// <summary>The Resolving handler (public for tests): null for names we do not own or files we do not ship.</summary>
    public static Assembly? Resolve(AssemblyLoadContext requestingContext, AssemblyName name)
    {
        var context = s_context;
        if (context is null) return null;
        if (string.Equals(name.Name, CoreAssemblyName, StringComparison.OrdinalIgnoreCase))
            return ResolveCore(context, name);
        if (!IsIsolatedDependency(name.Name)) return null;
        var path = Path.Combine(context.DependencyDirectory, name.Name + ".dll");
        if (!File.Exists(path)) return null;
        return context.LoadFromAssemblyName(name);
    }

    private static Assembly? ResolveCore(DependencyLoadContext context, AssemblyName name)
    {
        var moduleRoot = Path.GetDirectoryName(context.DependencyDirectory.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar));
        if (moduleRoot is null || !File.Exists(Path.Combine(moduleRoot, CoreAssemblyName + ".dll"))) return null;
        return AssemblyLoadContext.Default.LoadFromAssemblyPath(ReadyToRunImages.Pick(moduleRoot, CoreAssemblyName + ".dll"));
    }

    private static Assembly? OnResolving(AssemblyLoadContext context, AssemblyName name) => Resolve(context, name);
}
