using System.Management.Automation;

namespace JupyterKernels.Cmdlets.Loading;

/// <summary>Import-Module / Remove-Module hooks: attach and detach the dependency resolver.</summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    public void OnImport()
    {
        StartupTrace.Mark("module OnImport");
        var root = Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location) ?? AppContext.BaseDirectory;
        DependencyResolver.Install(DependencyResolver.DependencyDirectoryFor(root));
        StartupTrace.Mark("module OnImport done");
    }

    public void OnRemove(PSModuleInfo psModuleInfo) => DependencyResolver.Uninstall();
}
