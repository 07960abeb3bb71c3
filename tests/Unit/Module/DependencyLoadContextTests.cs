using System.Reflection;
using System.Runtime.Loader;

namespace JupyterKernels.Tests.Module;

/// <summary>
/// Exercises the module's dependency AssemblyLoadContext from the BUILT JupyterKernels.Cmdlets.dll (loaded in a
/// throw-away context; the loader classes reference no PowerShell type, so no PowerShell is needed).
/// </summary>
public sealed class DependencyLoadContextTests : IClassFixture<ModuleLayout>
{
    private readonly ModuleLayout _layout;

    public DependencyLoadContextTests(ModuleLayout layout) => _layout = layout;

    private Assembly LoadCmdletsAssembly()
    {
        var probe = new AssemblyLoadContext("module-probe-" + Guid.NewGuid().ToString("N"), isCollectible: true);
        return probe.LoadFromAssemblyPath(_layout.CmdletsDllPath);
    }

    [Fact]
    public void LoadsSqliteFromDependenciesAndOpensAnInMemoryDatabase()
    {
        var cmdlets = LoadCmdletsAssembly();
        var contextType = cmdlets.GetType("JupyterKernels.Cmdlets.Loading.DependencyLoadContext", throwOnError: true)!;
        var alc = (AssemblyLoadContext)Activator.CreateInstance(contextType, _layout.DependencyDir)!;

        var sqlite = alc.LoadFromAssemblyName(new AssemblyName("Microsoft.Data.Sqlite"));
        Assert.Same(alc, AssemblyLoadContext.GetLoadContext(sqlite));
        Assert.StartsWith(_layout.DependencyDir, sqlite.Location);

        var connectionType = sqlite.GetType("Microsoft.Data.Sqlite.SqliteConnection", throwOnError: true)!;
        using var connection = (IDisposable)Activator.CreateInstance(connectionType, "Data Source=:memory:")!;
        connectionType.GetMethod("Open", Type.EmptyTypes)!.Invoke(connection, null);
        var command = connectionType.GetMethod("CreateCommand", Type.EmptyTypes)!.Invoke(connection, null)!;
        command.GetType().GetProperty("CommandText")!.SetValue(command, "select sqlite_version()");
        var version = (string)command.GetType().GetMethod("ExecuteScalar", Type.EmptyTypes)!.Invoke(command, null)!;
        Assert.Matches(@"^3\.\d+\.\d+", version);

        // SQLitePCLRaw came from the same context, not from the test's own copies.
        var loadedHere = alc.Assemblies.Select(a => a.GetName().Name).ToList();
        Assert.Contains("SQLitePCLRaw.core", loadedHere);
        Assert.Contains("SQLitePCLRaw.provider.e_sqlite3", loadedHere);
        Assert.All(alc.Assemblies, a => Assert.StartsWith(_layout.DependencyDir, a.Location));

        // On Linux, prove the native library mapped into the process is the module's copy (LoadUnmanagedDll).
        if (OperatingSystem.IsLinux() && File.Exists("/proc/self/maps"))
        {
            var maps = File.ReadAllText("/proc/self/maps");
            Assert.Contains(Path.Combine(_layout.DependencyDir, "runtimes"), maps);
        }
    }

    [Fact]
    public void FindsTheNativeLibraryForThisPlatform()
    {
        var cmdlets = LoadCmdletsAssembly();
        var contextType = cmdlets.GetType("JupyterKernels.Cmdlets.Loading.DependencyLoadContext", throwOnError: true)!;
        var alc = Activator.CreateInstance(contextType, _layout.DependencyDir)!;
        var find = contextType.GetMethod("FindNativeLibrary")!;
        var path = (string?)find.Invoke(alc, new object[] { "e_sqlite3" });
        Assert.NotNull(path);
        Assert.True(File.Exists(path));
        Assert.StartsWith(Path.Combine(_layout.DependencyDir, "runtimes"), path);
        Assert.Null(find.Invoke(alc, new object[] { "no_such_native_library" }));
    }

    [Fact]
    public void ResolverServesOnlyTheIsolatedDependencies()
    {
        var cmdlets = LoadCmdletsAssembly();
        var resolver = cmdlets.GetType("JupyterKernels.Cmdlets.Loading.DependencyResolver", throwOnError: true)!;
        var isIsolated = resolver.GetMethod("IsIsolatedDependency")!;
        Assert.True((bool)isIsolated.Invoke(null, new object[] { "Microsoft.Data.Sqlite" })!);
        Assert.True((bool)isIsolated.Invoke(null, new object[] { "SQLitePCLRaw.core" })!);
        Assert.False((bool)isIsolated.Invoke(null, new object[] { "JupyterKernels" })!);
        Assert.False((bool)isIsolated.Invoke(null, new object[] { "Newtonsoft.Json" })!);
        Assert.False((bool)isIsolated.Invoke(null, new object?[] { null })!);

        var install = resolver.GetMethod("Install")!;
        var uninstall = resolver.GetMethod("Uninstall")!;
        var resolve = resolver.GetMethod("Resolve")!;
        var installed = resolver.GetProperty("IsInstalled")!;
        install.Invoke(null, new object[] { _layout.DependencyDir });
        try
        {
            Assert.True((bool)installed.GetValue(null)!);
            var sqlite = (Assembly?)resolve.Invoke(null, new object[] { AssemblyLoadContext.Default, new AssemblyName("Microsoft.Data.Sqlite") });
            Assert.NotNull(sqlite);
            Assert.StartsWith(_layout.DependencyDir, sqlite!.Location);
            Assert.NotSame(AssemblyLoadContext.Default, AssemblyLoadContext.GetLoadContext(sqlite));
            Assert.Null(resolve.Invoke(null, new object[] { AssemblyLoadContext.Default, new AssemblyName("Newtonsoft.Json") }));
            Assert.Null(resolve.Invoke(null, new object[] { AssemblyLoadContext.Default, new AssemblyName("JupyterKernels.NotOurs") }));
        }
        finally
        {
            uninstall.Invoke(null, null);
        }
        Assert.False((bool)installed.GetValue(null)!);
    }
}

/// <summary>Pure helpers of the Cmdlets assembly that need no PowerShell, called through the built DLL.</summary>
public sealed class CmdletHelperTests : IClassFixture<ModuleLayout>
{
    private readonly ModuleLayout _layout;

    public CmdletHelperTests(ModuleLayout layout) => _layout = layout;

    [Theory]
    [InlineData("\u001b[0;31mZeroDivisionError\u001b[0m: division by zero", "ZeroDivisionError: division by zero")]
    [InlineData("\u001b[1;32m----> 1\u001b[0m 1/0", "----> 1 1/0")]
    [InlineData("\u001b]8;;file:///x.py\u0007x.py\u001b]8;;\u0007", "x.py")]
    [InlineData("plain", "plain")]
    [InlineData("", "")]
    public void StripsAnsiFromTracebacks(string input, string expected)
    {
        var probe = new AssemblyLoadContext("helper-probe-" + Guid.NewGuid().ToString("N"), isCollectible: true);
        var cmdlets = probe.LoadFromAssemblyPath(_layout.CmdletsDllPath);
        var strip = cmdlets.GetType("JupyterKernels.Cmdlets.AnsiText", throwOnError: true)!.GetMethod("Strip")!;
        Assert.Equal(expected, (string)strip.Invoke(null, new object[] { input })!);
    }
}
