using System.Text;

namespace JupyterKernels.Store;

/// <summary>Opening: the file is created user-only before SQLite touches it, and its header is checked so a foreign
/// file is never modified.</summary>
public sealed partial class KernelStore
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
            throw new KernelException(ErrorIds.StoreUnavailable, KernelErrorCategory.ResourceUnavailable,
                $"Cannot create the kernel store '{path}': {e.Message}", path, e);
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
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (fs.Length == 0) return; // new (or being created by another process)
            var head = new byte[SqliteMagic.Length];
            var n = fs.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            if (n < head.Length || !head.AsSpan().SequenceEqual(SqliteMagic))
                throw Invalid(path, "it is not an SQLite database");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KernelException(ErrorIds.StoreUnavailable, KernelErrorCategory.ResourceUnavailable,
                $"Cannot read the kernel store '{path}': {e.Message}", path, e);
        }
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
