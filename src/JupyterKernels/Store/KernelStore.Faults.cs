using Microsoft.Data.Sqlite;

namespace JupyterKernels.Store;

/// <summary>
/// File-system faults said in words a runbook can branch on. SQLite reports a read-only file
/// system as "unable to open database file" or "attempt to write a readonly database", and a full disk as "disk I/O
/// error" or "database or disk is full"; we look at the file system itself and say "read-only file system" (category
/// WriteError) or "no space left on &lt;mount&gt;" (category QuotaExceeded), with the store's path, as StoreUnavailable.
/// On a read-only file system the store opens read-only (immutable), so reads keep working.
/// </summary>
internal sealed partial class KernelStore
{
    private enum FileSystemFaultKind { ReadOnly, NoSpace }

    private sealed record FileSystemFault(FileSystemFaultKind Kind, string MountPoint);

    /// <summary>Free bytes below which a write failure is put down to a full disk.</summary>
    private const long NearlyFull = 256 * 1024;

    /// <summary>The file system holding <paramref name="path"/> is read-only or (nearly) full; null when neither
    /// can be seen (then SQLite's own message is reported).</summary>
    private static FileSystemFault? DiagnoseFileSystem(string path)
    {
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path)) ?? "/";
        while (!Directory.Exists(dir) && System.IO.Path.GetDirectoryName(dir) is { } parent) dir = parent;
        var (mount, readOnly) = MountOf(dir);
        if (readOnly) return new FileSystemFault(FileSystemFaultKind.ReadOnly, mount);
        try
        {
            if (new DriveInfo(mount).AvailableFreeSpace < NearlyFull) return new FileSystemFault(FileSystemFaultKind.NoSpace, mount);
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException) { }
        return null;
    }

    /// <summary>Linux: the mount point holding <paramref name="dir"/> (longest prefix in /proc/self/mountinfo) and
    /// whether it is mounted read-only. Elsewhere: the drive root, and false.</summary>
    private static (string MountPoint, bool ReadOnly) MountOf(string dir)
    {
        if (!OperatingSystem.IsLinux()) return (System.IO.Path.GetPathRoot(dir) ?? dir, false);
        var best = ("/", false);
        try
        {
            foreach (var line in File.ReadLines("/proc/self/mountinfo"))
            {
                // id parent major:minor root mount-point mount-options [optional...] - fstype source super-options
                var f = line.Split(' ');
                if (f.Length < 6) continue;
                var mountPoint = f[4].Replace("\\040", " ", StringComparison.Ordinal);
                var inside = dir == mountPoint || dir.StartsWith(mountPoint.TrimEnd('/') + "/", StringComparison.Ordinal);
                if (!inside || mountPoint.Length < best.Item1.Length) continue;
                best = (mountPoint, f[5].Split(',').Contains("ro"));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return best;
    }

    /// <summary>A StoreUnavailable that names the file-system fault behind <paramref name="inner"/>, or null.</summary>
    private static KernelException? FileSystemError(string path, Exception? inner) => DiagnoseFileSystem(path) switch
    {
        { Kind: FileSystemFaultKind.ReadOnly } f => new KernelException(ErrorIds.StoreUnavailable, KernelErrorCategory.WriteError,
            $"The kernel store '{path}' cannot be written: read-only file system ({f.MountPoint}). Listing still works; to start, " +
            "change or remove kernels, make it writable or point JUPYTERKERNELS_DB elsewhere.", path, inner),
        { Kind: FileSystemFaultKind.NoSpace } f => new KernelException(ErrorIds.StoreUnavailable, KernelErrorCategory.QuotaExceeded,
            $"The kernel store '{path}' cannot be written: no space left on {f.MountPoint} ({path}). Free some space there or point " +
            "JUPYTERKERNELS_DB elsewhere.", path, inner),
        _ => null,
    };

    /// <summary>The first error (other than BUSY) this handle met: the file may be damaged, replaced or restored behind
    /// it, and its pooled connections may still hold the old file. From then on it writes nothing (every write is the
    /// same error again) and <see cref="Faulted"/> tells its owner to reopen it (<see cref="ReleaseConnections"/>, then
    /// <see cref="OpenAsync"/> with <see cref="KernelStoreOptions.VerifyIntegrity"/>), which validates the file again.</summary>
    private volatile KernelException? _fault;

    /// <summary>An operation of this handle failed with a store error; reopen before trusting it again.</summary>
    public bool Faulted => _fault is not null;

    /// <summary>Errors that say the file under this handle is damaged, gone or unreadable (IOERR, CORRUPT, CANTOPEN,
    /// NOTADB); not a constraint, a full disk or a read-only file system, which a later call may well get past.</summary>
    private static bool IsDamage(SqliteException e) => (e.SqliteErrorCode & 0xFF) is 10 or 11 or 14 or 26;

    private KernelException Fault(KernelException error)
    {
        _fault ??= error;
        return error;
    }

    private static KernelException Refused(KernelException fault) =>
        new(fault.ErrorId, fault.Category, fault.Message, fault.Target, fault);

    /// <summary>
    /// Cheap check of the file under an open handle, for every command: the header still says SQLite, and the file is
    /// not shorter than the database its header describes (a truncated store otherwise keeps taking writes into its
    /// WAL from a process that had it open). A failure faults the handle (<see cref="Faulted"/>) and is StoreInvalid
    /// or StoreUnavailable, as at open.
    /// </summary>
    public void VerifyFile()
    {
        if (_fault is { } fault) throw Refused(fault);
        try { CheckHeader(Path, HeldFile()); }
        catch (KernelException e) { throw Fault(e); }
    }

    /// <summary>
    /// The database file, opened once and held until <see cref="DisposeAsync"/>: closing a descriptor of the file
    /// releases every POSIX lock this process holds on it (fcntl locks belong to the process and the file), so a
    /// check that opened and closed it on each command would drop the locks of SQLite's own connections here, and
    /// another process could take the store for unused and reset its WAL under them.
    /// </summary>
    private Microsoft.Win32.SafeHandles.SafeFileHandle HeldFile()
    {
        lock (_heldFileGate)
        {
            if (_heldFile is { IsClosed: false } held) return held;
            try
            {
                return _heldFile = File.OpenHandle(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw Unreadable(Path, e);
            }
        }
    }

    private readonly object _heldFileGate = new();
    private Microsoft.Win32.SafeHandles.SafeFileHandle? _heldFile;

    /// <summary>Closes the held file, once this handle's connections are closed (their locks go with them anyway).</summary>
    private void CloseHeldFile()
    {
        lock (_heldFileGate)
        {
            _heldFile?.Dispose();
            _heldFile = null;
        }
    }

    /// <summary>Closes this handle's pooled connections (their file handles may be of a file since replaced). Operations
    /// still running finish on their own connections.</summary>
    public void ReleaseConnections()
    {
        using var conn = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(conn);
        CloseHeldFile();
    }
}
