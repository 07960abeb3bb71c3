using JupyterKernels.Tests.Module;

namespace JupyterKernels.Tests.TestKernel;

/// <summary>NetMQ is the test kernel's, the load peer's and the benchmark's second ZeroMQ implementation, never the
/// module's (README, "Why the module does not use NetMQ"): the built module folder holds none of it, and the core
/// assembly references none of it.</summary>
public sealed class NetMQStaysOutOfTheModuleTests : IClassFixture<ModuleLayout>
{
    private static readonly string[] NetMQAssemblies = { "NetMQ", "AsyncIO", "NaCl" };
    private readonly ModuleLayout _layout;

    public NetMQStaysOutOfTheModuleTests(ModuleLayout layout) => _layout = layout;

    [Fact]
    public void The_built_module_contains_no_NetMQ_assembly()
    {
        var files = Directory.EnumerateFiles(_layout.ModuleDir, "*.dll", SearchOption.AllDirectories).Select(Path.GetFileNameWithoutExtension).ToList();
        Assert.NotEmpty(files);
        Assert.Contains("JupyterKernels", files);
        foreach (var name in NetMQAssemblies) Assert.DoesNotContain(files, f => string.Equals(f, name, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Neither_module_assembly_references_NetMQ()
    {
        foreach (var assembly in new[] { _layout.Core, _layout.Cmdlets })
        {
            var references = assembly.GetReferencedAssemblies().Select(r => r.Name).ToList();
            Assert.NotEmpty(references);
            foreach (var name in NetMQAssemblies) Assert.DoesNotContain(name, references);
        }
    }
}
