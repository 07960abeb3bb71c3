using JupyterKernels.Store;
using JupyterKernels.Tests.Support;
using static JupyterKernels.Tests.Support.StoreTestUtil;

namespace JupyterKernels.Tests.Store;

/// <summary>The SQLite warm-up Import-Module starts in the background: repeatable, concurrent with itself and
/// with a real open. That it creates no store file is checked end to end in tests/Pester/JupyterKernels.Module.Tests.ps1.</summary>
public class KernelStoreWarmUpTests
{
    [Fact]
    public async Task WarmUp_RunsConcurrently_AndTheRealOpenWorksAlongsideAndAfter()
    {
        using var dir = new TempDirectory("jk-store");
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(KernelStore.WarmUp)));
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir.Path));

        var path = dir.File("jk.db");
        var warm = Task.Run(KernelStore.WarmUp);
        await using (var store = await KernelStore.OpenAsync(path))
        {
            await warm;
            await store.AddKernelAsync(Record("k1"));
            KernelStore.WarmUp();
            Assert.Equal("k1", (await store.GetKernelAsync("k1"))?.Id);
        }
    }
}
