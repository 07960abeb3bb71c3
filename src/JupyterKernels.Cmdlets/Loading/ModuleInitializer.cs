using System.Management.Automation;
using System.Runtime.CompilerServices;
using JupyterKernels.Service;

namespace JupyterKernels.Cmdlets.Loading;

/// <summary>Import-Module / Remove-Module hooks: attach and detach the dependency resolver; start warming SQLite.</summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    /// <remarks>
    /// Names no type of the core (JupyterKernels.dll): the resolver that picks the core's image for this platform
    /// must be attached before the runtime needs the core, which is when it compiles <see cref="StartCore"/>.
    /// </remarks>
    public void OnImport()
    {
        var root = Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location) ?? AppContext.BaseDirectory;
        DependencyResolver.Install(DependencyResolver.DependencyDirectoryFor(root));
        StartCore();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void StartCore()
    {
        StartupTrace.Mark("module OnImport");
        KernelService.WarmUpInBackground();
        StartupTrace.Mark("module OnImport done");
    }

    public void OnRemove(PSModuleInfo psModuleInfo) => DependencyResolver.Uninstall();
}
