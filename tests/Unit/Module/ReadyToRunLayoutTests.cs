using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace JupyterKernels.Tests.Module;

/// <summary>
/// The built module loads on every platform it names, and runs ReadyToRun code where it has some. Every folder holds
/// IL-only PE files (which every runtime loads: Windows refuses a ReadyToRun image of a foreign machine type in its OS
/// loader); ReadyToRun images for linux-x64 sit in readytorun/linux-x64/ beside their IL. For each platform the test
/// asks the BUILT module's loader (ReadyToRunImages.Pick, through reflection) which file it loads, and reads that
/// file's PE headers: linux-x64 gets an x64 Linux ReadyToRun image that keeps its IL; every other platform gets IL.
/// A module built with ModuleReadyToRun=false (plain IL only) fails the linux-x64 rows, by design.
/// </summary>
public sealed class ReadyToRunLayoutTests : IClassFixture<ModuleLayout>
{
    /// <summary>The PE machine of a Linux ReadyToRun image: the CPU's machine xor the OS's (crossgen2's convention).</summary>
    private const ushort LinuxMachineXor = 0x7B79;

    private readonly ModuleLayout _layout;

    public ReadyToRunLayoutTests(ModuleLayout layout) => _layout = layout;

    /// <summary>The managed assemblies the module's resolvers load (not the root module: PowerShell loads that).</summary>
    public static readonly string[] ResolvedAssemblies =
    {
        "JupyterKernels.dll",
        "dependencies/Microsoft.Data.Sqlite.dll",
        "dependencies/SQLitePCLRaw.core.dll",
        "dependencies/SQLitePCLRaw.provider.e_sqlite3.dll",
        "dependencies/SQLitePCLRaw.batteries_v2.dll",
    };

    public static IEnumerable<object[]> Platforms()
    {
        foreach (var assembly in ResolvedAssemblies)
        {
            yield return new object[] { "windows", System.Runtime.InteropServices.Architecture.X64, false, assembly };
            yield return new object[] { "windows", System.Runtime.InteropServices.Architecture.Arm64, false, assembly };
            yield return new object[] { "linux", System.Runtime.InteropServices.Architecture.X64, false, assembly };
            yield return new object[] { "linux", System.Runtime.InteropServices.Architecture.X64, true, assembly };
            yield return new object[] { "linux", System.Runtime.InteropServices.Architecture.Arm64, false, assembly };
            yield return new object[] { "osx", System.Runtime.InteropServices.Architecture.X64, false, assembly };
            yield return new object[] { "osx", System.Runtime.InteropServices.Architecture.Arm64, false, assembly };
        }
    }

    [Theory]
    [MemberData(nameof(Platforms))]
    public void Each_platform_loads_an_image_it_can_map(string os, System.Runtime.InteropServices.Architecture architecture, bool musl, string relativePath)
    {
        var picked = PickFor(os, architecture, musl, relativePath);
        Assert.True(File.Exists(picked), picked);
        using var stream = File.OpenRead(picked);
        using var pe = new PEReader(stream);
        var headers = pe.PEHeaders;
        Assert.NotNull(headers.CorHeader);
        bool readyToRun = headers.CorHeader!.ManagedNativeHeaderDirectory.Size > 0;

        if (os == "linux" && architecture == System.Runtime.InteropServices.Architecture.X64)
        {
            Assert.Contains(Path.Combine("readytorun", "linux-x64"), picked);
            Assert.True(readyToRun, $"{picked} has no ReadyToRun header (was the module built with ModuleReadyToRun=false?)");
            Assert.Equal(Machine.Amd64, (Machine)((ushort)headers.CoffHeader.Machine ^ LinuxMachineXor));
            Assert.False(headers.CorHeader.Flags.HasFlag(CorFlags.ILOnly));
            AssertKeepsItsIL(pe, picked);
        }
        else
        {
            // Portable IL: the AnyCPU machine type and the IL-only flag, which Windows loads without its OS loader.
            Assert.Equal(Path.Combine(_layout.ModuleDir, relativePath), picked);
            AssertPortableIL(headers, picked);
        }
    }

    [Fact]
    public void Every_file_outside_readytorun_is_portable_IL()
    {
        var files = Directory.GetFiles(_layout.ModuleDir, "*.dll", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(_layout.ModuleDir, f).Split(Path.DirectorySeparatorChar).Contains("readytorun"))
            .Where(f => !Path.GetRelativePath(_layout.ModuleDir, f).Split(Path.DirectorySeparatorChar).Contains("runtimes"))
            .ToList();
        Assert.Contains(_layout.CmdletsDllPath, files);
        Assert.True(files.Count >= 1 + ResolvedAssemblies.Length, string.Join(", ", files));
        foreach (var file in files)
        {
            using var stream = File.OpenRead(file);
            using var pe = new PEReader(stream);
            AssertPortableIL(pe.PEHeaders, file);
        }
    }

    [Fact]
    public void Readytorun_folders_hold_only_linux_x64_images()
    {
        var folders = Directory.GetDirectories(_layout.ModuleDir, "readytorun", SearchOption.AllDirectories);
        Assert.NotEmpty(folders);
        foreach (var folder in folders)
            Assert.Equal(new[] { "linux-x64" }, Directory.GetDirectories(folder).Select(Path.GetFileName).ToArray());
    }

    private string PickFor(string os, System.Runtime.InteropServices.Architecture architecture, bool musl, string relativePath)
    {
        var probe = new AssemblyLoadContext("r2r-probe-" + Guid.NewGuid().ToString("N"), isCollectible: true);
        try
        {
            var cmdlets = probe.LoadFromAssemblyPath(_layout.CmdletsDllPath);
            var rids = cmdlets.GetType("JupyterKernels.Cmdlets.Loading.RuntimeIdentifiers", throwOnError: true)!
                .GetMethod("For", BindingFlags.Public | BindingFlags.Static)!
                .Invoke(null, new object[] { OSPlatform.Create(os.ToUpperInvariant()), architecture, musl })!;
            var pick = cmdlets.GetType("JupyterKernels.Cmdlets.Loading.ReadyToRunImages", throwOnError: true)!
                .GetMethod("Pick", new[] { typeof(string), typeof(string), typeof(IEnumerable<string>) })!;
            var full = Path.Combine(_layout.ModuleDir, relativePath);
            return (string)pick.Invoke(null, new[] { Path.GetDirectoryName(full)!, Path.GetFileName(full), rids })!;
        }
        finally
        {
            probe.Unload();
        }
    }

    private static void AssertPortableIL(PEHeaders headers, string file)
    {
        Assert.NotNull(headers.CorHeader);
        Assert.True(headers.CorHeader!.Flags.HasFlag(CorFlags.ILOnly), $"{file} is not IL-only: Windows would map it with its OS loader");
        Assert.Equal(Machine.I386, headers.CoffHeader.Machine);
        Assert.Equal(0, headers.CorHeader.ManagedNativeHeaderDirectory.Size);
    }

    private static void AssertKeepsItsIL(PEReader pe, string file)
    {
        var metadata = pe.GetMetadataReader();
        int bodies = 0;
        foreach (var handle in metadata.MethodDefinitions)
        {
            var method = metadata.GetMethodDefinition(handle);
            if (method.RelativeVirtualAddress == 0) continue;
            Assert.True(pe.GetMethodBody(method.RelativeVirtualAddress).Size > 0);
            bodies++;
        }
        Assert.True(bodies > 0, $"{file} has no IL method bodies");
    }
}
