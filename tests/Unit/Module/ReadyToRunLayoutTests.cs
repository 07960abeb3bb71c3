using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace JupyterKernels.Tests.Module;

/// <summary>
/// The built module's managed assemblies carry ReadyToRun code for linux-x64 (a fresh PowerShell 7.6 process runs
/// it instead of JIT-compiling our code) AND their full IL and metadata (every other runtime, OS and architecture
/// runs that, as before). A module built with ModuleReadyToRun=false (plain IL) fails this test, by design.
/// </summary>
public sealed class ReadyToRunLayoutTests : IClassFixture<ModuleLayout>
{
    private readonly ModuleLayout _layout;

    public ReadyToRunLayoutTests(ModuleLayout layout) => _layout = layout;

    public static IEnumerable<object[]> ModuleAssemblies() => new[]
    {
        new object[] { "JupyterKernels.dll" },
        new object[] { "JupyterKernels.Cmdlets.dll" },
        new object[] { "dependencies/Microsoft.Data.Sqlite.dll" },
        new object[] { "dependencies/SQLitePCLRaw.core.dll" },
        new object[] { "dependencies/SQLitePCLRaw.provider.e_sqlite3.dll" },
    };

    [Theory]
    [MemberData(nameof(ModuleAssemblies))]
    public void Assembly_has_ReadyToRun_code_for_linux_x64_and_keeps_its_IL(string relativePath)
    {
        using var stream = File.OpenRead(Path.Combine(_layout.ModuleDir, relativePath));
        using var pe = new PEReader(stream);
        var headers = pe.PEHeaders;
        Assert.NotNull(headers.CorHeader);
        bool readyToRun = headers.CorHeader!.ManagedNativeHeaderDirectory.Size > 0;
        Assert.True(readyToRun, $"{relativePath} has no ReadyToRun header (was the module built with ModuleReadyToRun=false?)");
        // ReadyToRun images are machine-specific PE files: x64, with the ILONLY flag cleared.
        Assert.Equal(Machine.Amd64, (Machine)((ushort)headers.CoffHeader.Machine ^ 0x7B79 /* Linux OS-machine xor */));
        Assert.False(headers.CorHeader.Flags.HasFlag(CorFlags.ILOnly));

        // The IL is all still there: every method with a body in the metadata has it.
        var metadata = pe.GetMetadataReader();
        int bodies = 0;
        foreach (var handle in metadata.MethodDefinitions)
        {
            var method = metadata.GetMethodDefinition(handle);
            if (method.RelativeVirtualAddress == 0) continue;
            var body = pe.GetMethodBody(method.RelativeVirtualAddress);
            Assert.True(body.Size > 0);
            bodies++;
        }
        Assert.True(bodies > 0, $"{relativePath} has no IL method bodies");
    }
}
