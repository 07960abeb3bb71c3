using System.Diagnostics;
using JupyterKernels.Providers;
using JupyterKernels.Store;
using JupyterKernels.Providers.Local;
using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.Reliability;

/// <summary>
/// On a real small tmpfs this test mounts (and unmounts): a store on a read-only file system
/// still lists its kernels, and a write fails with StoreUnavailable saying "read-only file system" (category
/// WriteError) and the path; on a full file system a write fails with "no space left on &lt;mount&gt;" (category
/// QuotaExceeded) and the path, in the process that filled it and in a fresh one. Needs mount(2): run as root.
/// </summary>
public sealed class StoreFileSystemFaultTests : IDisposable
{
    private readonly TempDirectory _temp = new("jk-fs");
    private readonly string _mount;

    public StoreFileSystemFaultTests()
    {
        _mount = _temp.Path;
        Sh($"mount -t tmpfs -o size=2m tmpfs '{_mount}'");
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Sh($"umount '{_mount}'", check: false);
        _temp.Dispose();
    }

    private static void Sh(string command, bool check = true)
    {
        using var p = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", command]) { RedirectStandardError = true })!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (check) Assert.True(p.ExitCode == 0, $"'{command}' failed (this test mounts a tmpfs and needs root): {err}");
    }

    private string Db => Path.Combine(_mount, "jk.db");

    private static KernelRecord Record(string id) => new()
    {
        Id = id, Provider = "local", SpecName = "python3", State = KernelState.Idle, CreatedAt = DateTimeOffset.UtcNow,
        ProviderData = new LocalKernelData { ConnectionInfoJson = new string('x', 2000) }.ToJson(),
    };

    [Fact]
    public async Task On_a_read_only_file_system_reads_work_and_writes_say_read_only_file_system_with_the_path()
    {
        await using (var store = await KernelStore.OpenAsync(Db)) await store.AddKernelAsync(Record("k1"));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Sh($"mount -o remount,ro '{_mount}'");

        await using var ro = await KernelStore.OpenAsync(Db);
        Assert.Equal(["k1"], (await ro.ListKernelsAsync()).Select(k => k.Id));
        var e = await Assert.ThrowsAsync<KernelException>(() => ro.AddKernelAsync(Record("k2")));
        Assert.Equal(ErrorIds.StoreUnavailable, e.ErrorId);
        Assert.Equal(KernelErrorCategory.WriteError, e.Category);
        Assert.Contains("read-only file system", e.Message);
        Assert.Contains(Db, e.Message);

        // A store that does not exist yet cannot be created there: same words.
        var missing = await Assert.ThrowsAsync<KernelException>(() => KernelStore.OpenAsync(Path.Combine(_mount, "new.db")));
        Assert.Equal(KernelErrorCategory.WriteError, missing.Category);
        Assert.Contains("read-only file system", missing.Message);
    }

    [Fact]
    public async Task On_a_full_file_system_writes_say_no_space_left_with_the_mount_and_the_path()
    {
        await using var full = await KernelStore.OpenAsync(Db);
        await full.AddKernelAsync(Record("k1"));
        Sh($"dd if=/dev/zero of='{_mount}/filler' bs=64k 2>/dev/null || true", check: false);

        KernelException? e = null;
        for (var i = 0; i < 2000 && e is null; i++)
        {
            try { await full.AddKernelAsync(Record("k-" + i)); }
            catch (KernelException ke) { e = ke; }
        }
        Assert.NotNull(e);
        Assert.Equal(ErrorIds.StoreUnavailable, e!.ErrorId);
        Assert.Equal(KernelErrorCategory.QuotaExceeded, e.Category);
        Assert.Contains($"no space left on {_mount}", e.Message);
        Assert.Contains(Db, e.Message);
        Assert.Contains("k1", (await full.ListKernelsAsync()).Select(k => k.Id)); // the open store still reads

        // A fresh process on the full disk (SQLite: "disk I/O error" when it cannot create its -shm) gets the same words.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            await using var fresh = await KernelStore.OpenAsync(Db);
            var again = await Assert.ThrowsAsync<KernelException>(() => fresh.AddKernelAsync(Record("k-fresh")));
            Assert.Equal(KernelErrorCategory.QuotaExceeded, again.Category);
        }
        catch (KernelException open)
        {
            Assert.Equal(KernelErrorCategory.QuotaExceeded, open.Category);
            Assert.Contains($"no space left on {_mount}", open.Message);
            Assert.Contains(Db, open.Message);
        }
    }
}
