using System.Text;
using Microsoft.Data.Sqlite;

namespace JupyterKernels.Store;

/// <summary>Opening: the file is created user-only before SQLite touches it, and its header is checked so a foreign
/// file is never modified.</summary>
internal sealed partial class KernelStore
{
    private static void EnsureSqlite()
    {
        lock (InitLock)
        {
            if (_sqliteInitialized) return;
            SQLitePCL.Batteries_V2.Init();
            _sqliteInitialized = true;
        }
    }

    /// <summary>
    /// Loads the native SQLite library and runs the store's identity read once on an in-memory database, so that the
    /// first real open does not pay for them (a cold process's first open was ~1/3 native load and first-use costs).
    /// Touches no file. Safe to call from any thread, any number of times; failures are left to the real open.
    /// </summary>
    public static void WarmUp()
    {
        EnsureSqlite();
        using var conn = new SqliteConnection("Data Source=:memory:;Pooling=False");
        conn.Open();
        using var tx = conn.BeginTransaction(deferred: true);
        ReadIdentity(conn, tx);
        tx.Commit();
    }

    /// <summary>The file exists user-only before SQLite opens it (SQLite would create it with the umask's mode).</summary>
    private static void CreateFileUserOnly(string path)
    {
        try
        {
            var dir = System.IO.Path.GetDirectoryName(path)!;
            if (!Directory.Exists(dir)) SecureFile.EnsurePrivateDirectory(dir);
            SecureFile.CreatePrivateIfMissing(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw FileSystemError(path, e) ?? new KernelException(ErrorIds.StoreUnavailable, KernelErrorCategory.ResourceUnavailable,
                $"Cannot create the kernel store '{path}': {e.Message}", path, e);
        }
    }

    /// <summary>
    /// SQLite creates <c>-wal</c> and <c>-shm</c> with the database file's mode at that moment; a store made read-only
    /// for a while (chmod 400) leaves a read-only <c>-shm</c> behind, and every later writer fails with "attempt to
    /// write a readonly database" after the store's mode is restored. So the side files follow
    /// the store's own (user-only) mode, before any connection opens them.
    /// </summary>
    private static void AlignSideFileModes(string path)
    {
        if (OperatingSystem.IsWindows() || !File.Exists(path)) return;
        const UnixFileMode userOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        try
        {
            var mode = File.GetUnixFileMode(path) & userOnly;
            foreach (var f in new[] { path + "-wal", path + "-shm" })
                if (File.Exists(f) && File.GetUnixFileMode(f) != mode) File.SetUnixFileMode(f, mode);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not ours to change (another user's files), or the file system is read-only: opening will say so.
        }
    }

    /// <summary>SQLite creates -wal and -shm itself: take back what they got beyond the user.</summary>
    private static void TightenPermissions(string path)
    {
        foreach (var f in new[] { path, path + "-wal", path + "-shm" })
        {
            try
            {
                SecureFile.RestrictToUser(f);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Not ours to change (another user's file would have failed to open anyway).
            }
        }
    }

    private static readonly byte[] SqliteMagic = Encoding.ASCII.GetBytes("SQLite format 3\0");

    private static void CheckHeader(string path)
    {
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            CheckHeader(path, handle);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unreadable(path, e);
        }
    }

    /// <summary>
    /// The header check through a handle the caller keeps open (see <see cref="VerifyFile"/>). A failure is read again
    /// before it counts: a checkpoint in another connection writes page 1 (with the new page count) before the pages
    /// that extend the file, and a writer may restart the WAL between our reads, so a healthy store can look short for
    /// a moment; a damaged one still fails after the last read (about a second later).
    /// </summary>
    internal static void CheckHeader(string path, Microsoft.Win32.SafeHandles.SafeFileHandle handle)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                CheckHeaderOnce(path, handle);
                return;
            }
            catch (KernelException e) when (e.ErrorId == ErrorIds.StoreInvalid && attempt < HeaderRereadDelaysMs.Length)
            {
                Thread.Sleep(HeaderRereadDelaysMs[attempt]);
            }
        }
    }

    private static readonly int[] HeaderRereadDelaysMs = [10, 40, 150, 300, 500];

    private static void CheckHeaderOnce(string path, Microsoft.Win32.SafeHandles.SafeFileHandle handle)
    {
        try
        {
            var length = RandomAccess.GetLength(handle);
            if (length == 0) return; // new (or being created by another process)
            var head = new byte[HeaderSize];
            var n = 0;
            while (n < head.Length)
            {
                var read = RandomAccess.Read(handle, head.AsSpan(n), n);
                if (read == 0) break;
                n += read;
            }
            if (n < SqliteMagic.Length || !head.AsSpan(0, SqliteMagic.Length).SequenceEqual(SqliteMagic))
                throw Invalid(path, "it is not an SQLite database");
            if (n < HeaderSize || DescribedSize(head) is { } described && length < described && !WalHoldsPagesFrom(path, length, described))
                throw Invalid(path, $"it is truncated: {length} bytes, its header describes {(n < HeaderSize ? "at least 100" : DescribedSize(head)?.ToString(System.Globalization.CultureInfo.InvariantCulture))}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Unreadable(path, e);
        }
    }

    private static KernelException Unreadable(string path, Exception e) =>
        new(ErrorIds.StoreUnavailable, KernelErrorCategory.ResourceUnavailable, $"Cannot read the kernel store '{path}': {e.Message}", path, e);

    private const int HeaderSize = 100;

    /// <summary>
    /// A main file shorter than its header says is lawful only while the WAL holds every page past its end (a
    /// checkpoint stopped part-way, by a full disk, is finished from the WAL later); a truncated file has lost pages
    /// no frame holds. Reads the WAL's frame headers (of its current generation: salts equal the header's, up to the
    /// last commit frame) — only on this rare path.
    /// </summary>
    private static bool WalHoldsPagesFrom(string path, long fileLength, long describedSize)
    {
        try
        {
            using var wal = new FileStream(path + "-wal", FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var header = new byte[32];
            if (wal.ReadAtLeast(header, 32, throwOnEndOfStream: false) < 32) return false;
            long pageSize = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(8));
            if (pageSize < 512 || pageSize > 65536) return false;
            var frame = new byte[24];
            var pages = new HashSet<uint>();
            var committed = new HashSet<uint>();
            uint databasePages = 0;
            for (long offset = 32; offset + 24 + pageSize <= wal.Length; offset += 24 + pageSize)
            {
                wal.Position = offset;
                if (wal.ReadAtLeast(frame, 24, throwOnEndOfStream: false) < 24 || !frame.AsSpan(8, 8).SequenceEqual(header.AsSpan(16, 8))) break;
                pages.Add(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(frame));
                uint commit = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(4));
                if (commit != 0)
                {
                    databasePages = commit;
                    committed.UnionWith(pages);
                }
            }
            long last = databasePages != 0 ? databasePages : describedSize / pageSize;
            for (long page = fileLength / pageSize + 1; page <= last; page++)
                if (!committed.Contains((uint)page)) return false;
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The database size its header states (page size × "in-header database size"), when SQLite marks that
    /// field valid (its version-valid-for equals the change counter); null otherwise. SQLite extends the file before a
    /// checkpoint writes page 1, so a healthy file is never shorter than this.</summary>
    private static long? DescribedSize(ReadOnlySpan<byte> header)
    {
        int pageSize = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(header[16..]);
        long size = pageSize == 1 ? 65536 : pageSize;
        uint pages = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(header[28..]);
        uint changeCounter = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(header[24..]);
        uint validFor = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(header[92..]);
        if (pages == 0 || validFor != changeCounter || size < 512 || (size & (size - 1)) != 0) return null;
        return pages * size;
    }

    private static KernelException Invalid(string path, string why, Exception? inner = null) =>
        new(ErrorIds.StoreInvalid, KernelErrorCategory.InvalidData,
            $"The file '{path}' is not a JupyterKernels store ({why}); it was left unchanged. Move it away or point JUPYTERKERNELS_DB elsewhere.",
            path, inner);

    private static KernelException TooNew(string path, int version) =>
        new(ErrorIds.StoreTooNew, KernelErrorCategory.InvalidData,
            $"The kernel store '{path}' has schema version {version}, newer than this module understands ({SchemaVersion}); it was left unchanged. Update the JupyterKernels module.",
            path);
}
