using JupyterKernels.Store;
using JupyterKernels.Sync;
using static JupyterKernels.Tests.Support.StoreTestUtil;
using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.Store;

public class KernelStoreSchemaTests
{
    [Fact]
    public async Task Open_CreatesSchema_WalAndMarks()
    {
        using var dir = new TempDirectory("jk-store");
        var path = dir.File("sub/dir/jk.db");
        await using (var store = await KernelStore.OpenAsync(path))
        {
            Assert.Equal(path, store.Path);
            await store.AddKernelAsync(Record("k1"));
        }
        using var c = Raw(path);
        Assert.Equal((long)KernelStore.ApplicationId, Scalar(c, "PRAGMA application_id"));
        Assert.Equal((long)KernelStore.SchemaVersion, Scalar(c, "PRAGMA user_version"));
        Assert.Equal("wal", Scalar(c, "PRAGMA journal_mode"));
        foreach (var t in new[] { "kernels", "sessions", "subshells", "providers" })
            Assert.Equal(1L, Scalar(c, $"SELECT count(*) FROM sqlite_schema WHERE type='table' AND name='{t}'"));
        Assert.Equal(1L, Scalar(c, "SELECT count(*) FROM sqlite_schema WHERE type='index' AND name='ux_kernels_provider_remote_id'"));
        Assert.Equal(1L, Scalar(c, "SELECT count(*) FROM sqlite_schema WHERE type='index' AND name='ix_kernels_provider'"));
    }

    [Fact]
    public async Task FileAndWalAndShm_AreUserOnly()
    {
        using var dir = new TempDirectory("jk-store");
        var path = dir.File("new/jk.db");
        await using var store = await KernelStore.OpenAsync(path);
        await store.AddKernelAsync(Record("k1")); // WAL and SHM exist while the store is open
        UserOnly.AssertFile(path);
        Assert.True(File.Exists(path + "-wal"));
        UserOnly.AssertFile(path + "-wal");
        UserOnly.AssertFile(path + "-shm");
        UserOnly.AssertDirectory(dir.File("new"));
    }

    [Fact]
    public async Task Migration_FromVersion1_KeepsDataAndAddsProviders()
    {
        using var dir = new TempDirectory("jk-store");
        var path = dir.File("jk.db");
        await using (var old = await KernelStore.OpenAsync(path, new KernelStoreOptions { TargetSchemaVersion = 1 })) { }
        using (var c = Raw(path))
        {
            // Written as version 1 wrote it (this build's inserts name later columns).
            Exec(c, "INSERT INTO kernels (id, provider, spec_name, created_at, state) VALUES ('survivor', 'local', 'python3', '2025-01-01T00:00:00.0000000Z', 'idle')");
            Assert.Equal(1L, Scalar(c, "PRAGMA user_version"));
            Assert.Equal(0L, Scalar(c, "SELECT count(*) FROM sqlite_schema WHERE name='providers'"));
        }

        await using var store = await KernelStore.OpenAsync(path);
        Assert.NotNull(await store.GetKernelAsync("survivor"));
        using var c2 = Raw(path);
        Assert.Equal(1L, Scalar(c2, "SELECT count(*) FROM sqlite_schema WHERE type='table' AND name='providers'"));
        Assert.Equal((long)KernelStore.SchemaVersion, Scalar(c2, "PRAGMA user_version"));
    }

    [Fact]
    public async Task OldStore_WithProviderRows_StillOpens_AndKeepsThem()
    {
        // Stores written while the providers table was in use (schema 2) hold rows there; the table is no longer
        // read or written, but such a file must open, work, and keep its data.
        using var dir = new TempDirectory("jk-store");
        var path = dir.File("jk.db");
        await using (var old = await KernelStore.OpenAsync(path)) await old.AddKernelAsync(Record("k1"));
        using (var c = Raw(path))
            Exec(c, """INSERT INTO providers (name, kind, config_json, created_at) VALUES ('gw', 'gateway', '{"url":"http://x"}', '2025-01-01T00:00:00.0000000Z')""");

        await using var store = await KernelStore.OpenAsync(path);
        Assert.NotNull(await store.GetKernelAsync("k1"));
        await store.AddKernelAsync(Record("k2"));
        Assert.Equal(2, await store.CountKernelsAsync());
        Assert.Equal("ok", await store.CheckIntegrityAsync());
        using var c2 = Raw(path);
        Assert.Equal(1L, Scalar(c2, "SELECT count(*) FROM providers WHERE name = 'gw'"));
        Assert.Equal((long)KernelStore.SchemaVersion, Scalar(c2, "PRAGMA user_version"));
    }

    [Fact]
    public async Task NewerStore_IsRefused_AndLeftUnchanged()
    {
        using var dir = new TempDirectory("jk-store");
        var path = dir.File("jk.db");
        await using (var s = await KernelStore.OpenAsync(path)) await s.AddKernelAsync(Record("k1"));
        using (var c = Raw(path)) Exec(c, $"PRAGMA user_version = {KernelStore.SchemaVersion + 5}");
        var before = await File.ReadAllBytesAsync(path);

        var e = await Assert.ThrowsAsync<KernelException>(() => KernelStore.OpenAsync(path));
        Assert.Equal(ErrorIds.StoreTooNew, e.ErrorId);
        Assert.Contains((KernelStore.SchemaVersion + 5).ToString(), e.Message);
        Assert.Equal(before, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task TextFile_IsInvalid_AndLeftUnchanged()
    {
        using var dir = new TempDirectory("jk-store");
        var path = dir.File("jk.db");
        await File.WriteAllTextAsync(path, "this is my shopping list, not a database\n");
        var before = await File.ReadAllBytesAsync(path);
        var e = await Assert.ThrowsAsync<KernelException>(() => KernelStore.OpenAsync(path));
        Assert.Equal(ErrorIds.StoreInvalid, e.ErrorId);
        Assert.Equal(before, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task CorruptedSqlite_IsInvalid_AndLeftUnchanged()
    {
        using var dir = new TempDirectory("jk-store");
        var path = dir.File("jk.db");
        var bytes = new byte[4096];
        "SQLite format 3\0"u8.CopyTo(bytes);
        new Random(1).NextBytes(bytes.AsSpan(16));
        await File.WriteAllBytesAsync(path, bytes);
        var e = await Assert.ThrowsAsync<KernelException>(() => KernelStore.OpenAsync(path));
        Assert.Equal(ErrorIds.StoreInvalid, e.ErrorId);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task ForeignSqlite_IsInvalid_AndLeftUnchanged()
    {
        using var dir = new TempDirectory("jk-store");
        var path = dir.File("jk.db");
        using (var c = Raw(path)) { Exec(c, "CREATE TABLE recipes (id INTEGER PRIMARY KEY, name TEXT)"); Exec(c, "INSERT INTO recipes (name) VALUES ('soup')"); }
        var before = await File.ReadAllBytesAsync(path);
        var e = await Assert.ThrowsAsync<KernelException>(() => KernelStore.OpenAsync(path));
        Assert.Equal(ErrorIds.StoreInvalid, e.ErrorId);
        Assert.Contains("recipes", e.Message);
        Assert.Equal(before, await File.ReadAllBytesAsync(path));
        Assert.False(File.Exists(path + "-wal"));
    }

    [Fact]
    public async Task OtherApplicationId_IsInvalid()
    {
        using var dir = new TempDirectory("jk-store");
        var path = dir.File("jk.db");
        using (var c = Raw(path)) Exec(c, "PRAGMA application_id = 1234");
        var before = await File.ReadAllBytesAsync(path);
        var e = await Assert.ThrowsAsync<KernelException>(() => KernelStore.OpenAsync(path));
        Assert.Equal(ErrorIds.StoreInvalid, e.ErrorId);
        Assert.Equal(before, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task EmptyFile_IsInitialised_AndReopenIsIdempotent()
    {
        using var dir = new TempDirectory("jk-store");
        var path = dir.File("jk.db");
        await File.WriteAllBytesAsync(path, Array.Empty<byte>());
        await using (var s = await KernelStore.OpenAsync(path)) await s.AddKernelAsync(Record("k1"));
        await using (var s = await KernelStore.OpenAsync(path)) Assert.Equal(1, await s.CountKernelsAsync());
    }

    [Fact]
    public void DefaultPath_AndEnvironmentVariable()
    {
        Assert.Equal(Path.Combine("/data", "jupyterkernels.db"), KernelStore.DefaultPath("/data"));
        var old = Environment.GetEnvironmentVariable(KernelStore.PathEnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(KernelStore.PathEnvironmentVariable, null);
            Assert.Equal(Path.GetFullPath(Path.Combine("/data", "jupyterkernels.db")), KernelStore.ResolvePath(null, "/data"));
            Environment.SetEnvironmentVariable(KernelStore.PathEnvironmentVariable, "/elsewhere/k.db");
            Assert.Equal(Path.GetFullPath("/elsewhere/k.db"), KernelStore.ResolvePath(null, "/data"));
            Assert.Equal(Path.GetFullPath("/given.db"), KernelStore.ResolvePath("/given.db", "/data"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(KernelStore.PathEnvironmentVariable, old);
        }
    }

    [Fact]
    public async Task Concurrent_FirstOpen_OfSameFile_InitialisesOnce()
    {
        using var dir = new TempDirectory("jk-store");
        var path = dir.File("jk.db");
        var stores = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => KernelStore.OpenAsync(path))));
        await Task.WhenAll(stores.Select((s, i) => s.AddKernelAsync(Record("k" + i))));
        Assert.Equal(8, await stores[0].CountKernelsAsync());
        Assert.Equal("ok", await stores[0].CheckIntegrityAsync());
        foreach (var s in stores) await s.DisposeAsync();
    }
}
