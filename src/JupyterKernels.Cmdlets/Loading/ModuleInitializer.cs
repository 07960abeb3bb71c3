using System.Management.Automation;
using JupyterKernels.Service;

namespace JupyterKernels.Cmdlets.Loading;

/// <summary>Import-Module / Remove-Module hooks: attach and detach the dependency resolver; start warming SQLite.</summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    public void OnImport()
    {
        StartupTrace.Mark("module OnImport");
        var root = Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location) ?? AppContext.BaseDirectory;
        DependencyResolver.Install(DependencyResolver.DependencyDirectoryFor(root));
        KernelService.WarmUpInBackground();
        StartupTrace.Mark("module OnImport done");
    }

    public void OnRemove(PSModuleInfo psModuleInfo) => DependencyResolver.Uninstall();
}
