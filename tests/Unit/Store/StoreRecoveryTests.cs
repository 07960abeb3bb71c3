using JupyterKernels.Service;
using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.Store;

/// <summary>
/// A store damaged, restored or truncated behind a process that has it open (real SQLite files, one long-lived
/// service standing for a long-lived PowerShell host): the damage is StoreInvalid in every call, nothing writes to the
/// damaged file or starts a kernel, and once the good file is back the same process works again.
/// </summary>
[Trait("Category", "Integration")] // the truncation test would start a real ipykernel if the store let it
public sealed class StoreRecoveryTests : IAsyncLifetime
{
    private readonly ServiceFixture _fx = new();
    private KernelService _service = null!;

    public async Task InitializeAsync()
    {
        _service = _fx.NewService();
        var store = await _service.StoreAsync(CancellationToken.None);
        await store.AddKernelsAsync(Enumerable.Range(0, 200).Select(i => StoreTestUtil.Record($"00000000-0000-0000-0000-{i:000000000000}", state: KernelState.Dead)));
        // Everything in the main file (as after any checkpoint), so the file's length is the database's.
        using var raw = StoreTestUtil.Raw(_fx.DatabasePath, Microsoft.Data.Sqlite.SqliteOpenMode.ReadWrite);
        StoreTestUtil.Exec(raw, "PRAGMA wal_checkpoint(TRUNCATE)");
        Assert.Equal(200, (await _service.GetKernelsAsync(CancellationToken.None)).Count);
    }

    public async Task DisposeAsync()
    {
        await _service.DisposeAsync();
        await _fx.DisposeAsync();
    }

    [Fact]
    public async Task A_corrupted_header_is_StoreInvalid_and_once_restored_in_place_the_same_process_works_again()
    {
        var good = ReadHeader();
        WriteHeader("this is no SQLite file, sorry!!!"u8.ToArray());

        var error = await Assert.ThrowsAsync<KernelException>(() => _service.GetKernelsAsync(CancellationToken.None));
        Assert.Equal(ErrorIds.StoreInvalid, error.ErrorId);
        error = await Assert.ThrowsAsync<KernelException>(() => _service.GetKernelsAsync(CancellationToken.None));
        Assert.Equal(ErrorIds.StoreInvalid, error.ErrorId);

        WriteHeader(good);
        Assert.Equal(200, (await _service.GetKernelsAsync(CancellationToken.None)).Count);
        var store = await _service.StoreAsync(CancellationToken.None);
        await store.UpsertKernelAsync(StoreTestUtil.Record("00000000-0000-0000-0000-100000000000"));
        Assert.Equal(201, (await _service.GetKernelsAsync(CancellationToken.None)).Count);
        Assert.Equal("ok", await store.CheckIntegrityAsync());
    }

    [Fact]
    public async Task A_store_restored_by_renaming_a_good_copy_over_it_works_again_in_the_same_process()
    {
        var copy = _fx.DatabasePath + ".good";
        File.Copy(_fx.DatabasePath, copy);
        WriteHeader(new byte[32]);
        var error = await Assert.ThrowsAsync<KernelException>(() => _service.GetKernelsAsync(CancellationToken.None));
        Assert.Equal(ErrorIds.StoreInvalid, error.ErrorId);

        File.Move(copy, _fx.DatabasePath, overwrite: true); // a new file: the old handles see the damaged one
        Assert.Equal(200, (await _service.GetKernelsAsync(CancellationToken.None)).Count);
    }

    [Fact]
    public async Task A_truncated_store_starts_nothing_and_writes_nothing_and_every_call_says_StoreInvalid()
    {
        var length = new FileInfo(_fx.DatabasePath).Length;
        using (var f = new FileStream(_fx.DatabasePath, FileMode.Open, FileAccess.Write, FileShare.ReadWrite)) f.SetLength(length / 2);
        var truncated = File.ReadAllBytes(_fx.DatabasePath);
        var walLength = File.Exists(_fx.DatabasePath + "-wal") ? new FileInfo(_fx.DatabasePath + "-wal").Length : 0;

        var start = await Assert.ThrowsAsync<KernelException>(() => _service.StartKernelAsync(new StartKernelOptions { SpecName = "python3" }, null, CancellationToken.None));
        Assert.Equal(ErrorIds.StoreInvalid, start.ErrorId);
        var list = await Assert.ThrowsAsync<KernelException>(() => _service.GetKernelsAsync(CancellationToken.None));
        Assert.Equal(ErrorIds.StoreInvalid, list.ErrorId);
        var session = await Assert.ThrowsAsync<KernelException>(() => _service.NewSessionAsync("s", "python3", null, null, null, CancellationToken.None));
        Assert.Equal(ErrorIds.StoreInvalid, session.ErrorId);

        Assert.Empty(Directory.Exists(_fx.Environment["JUPYTER_RUNTIME_DIR"]) ? Directory.GetFiles(_fx.Environment["JUPYTER_RUNTIME_DIR"], "kernel-*.json") : []);
        Assert.Equal(truncated, File.ReadAllBytes(_fx.DatabasePath));
        Assert.Equal(walLength, File.Exists(_fx.DatabasePath + "-wal") ? new FileInfo(_fx.DatabasePath + "-wal").Length : 0);
    }

    [Fact]
    public async Task A_store_short_for_a_moment_as_in_a_checkpoint_is_not_StoreInvalid_and_the_handle_keeps_working()
    {
        // A checkpoint writes page 1 (the new page count) before the pages that extend the file: for a moment the
        // file is shorter than its header says, with nothing for those pages in the WAL once a writer restarted it.
        var whole = File.ReadAllBytes(_fx.DatabasePath);
        using (var f = new FileStream(_fx.DatabasePath, FileMode.Open, FileAccess.Write, FileShare.ReadWrite)) f.SetLength(whole.Length / 2);
        var extend = new Thread(() =>
        {
            Thread.Sleep(30);
            using var f = new FileStream(_fx.DatabasePath, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
            f.Position = whole.Length / 2;
            f.Write(whole, whole.Length / 2, whole.Length - whole.Length / 2);
        });
        extend.Start();

        Assert.Equal(200, (await _service.GetKernelsAsync(CancellationToken.None)).Count);
        extend.Join();
        var store = await _service.StoreAsync(CancellationToken.None);
        Assert.False(store.Faulted);
        Assert.Equal(200, (await _service.GetKernelsAsync(CancellationToken.None)).Count);
    }

    private byte[] ReadHeader()
    {
        using var f = new FileStream(_fx.DatabasePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var head = new byte[32];
        f.ReadExactly(head);
        return head;
    }

    private void WriteHeader(byte[] bytes)
    {
        using var f = new FileStream(_fx.DatabasePath, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        f.Write(bytes);
    }
}
