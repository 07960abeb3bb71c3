using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace JupyterKernels;

/// <summary>
/// The one way the module writes a file: the bytes go to a temporary file in the same folder, are flushed, and the
/// temporary file is renamed over the target. A reader, or a process killed at any moment, sees the previous
/// complete file or the new one, never an empty or half-written one (a connection file emptied beside a live kernel
/// makes the next sync call that kernel dead). User-only files (<see cref="SecureFile.CreatePrivate"/>) stay so: the
/// temporary file is created user-only, and the rename keeps its mode.
/// </summary>
internal static partial class AtomicFile
{
    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> atomically. <paramref name="userOnly"/>:
    /// created 0600 / current-user DACL. <paramref name="durable"/>: the file is fsynced before the rename and its
    /// folder after it (POSIX), so the rename also survives a power loss.</summary>
    public static void Write(string path, ReadOnlySpan<byte> bytes, bool userOnly, bool durable = true)
    {
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full)!;
        var temp = TempNameFor(full);
        try
        {
            using (var stream = userOnly ? SecureFile.CreatePrivate(temp)
                : new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1))
            {
                stream.Write(bytes);
                if (durable) stream.Flush(flushToDisk: true);
            }
            PauseBeforeReplacing(full);
            Replace(temp, full);
        }
        catch
        {
            try { File.Delete(temp); } catch (Exception) { /* nothing more to do */ }
            throw;
        }
        if (durable) FlushFolder(folder);
    }

    /// <summary><see cref="Write"/> from async code: the write is small and local, so it runs inline.</summary>
    public static Task WriteAsync(string path, ReadOnlyMemory<byte> bytes, bool userOnly, bool durable = true, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Write(path, bytes.Span, userOnly, durable);
        return Task.CompletedTask;
    }

    /// <summary>The rename of a written temporary file over its target: the single place every atomic write ends.
    /// On Windows a target held open for a moment by an antivirus scanner, the search indexer or OneDrive (opened
    /// without FILE_SHARE_DELETE) refuses the rename with access denied or a sharing violation: retried a few times
    /// (<see cref="LockedRetryDelays"/>, 1.55 s at most), then that error. Elsewhere those errors do not pass.</summary>
    public static void Replace(string temp, string path)
    {
        if (OperatingSystem.IsWindows()) ReplaceRetryingLocked(temp, path, MoveOver, Thread.Sleep);
        else MoveOver(temp, path);
    }

    private static void MoveOver(string temp, string path) => File.Move(temp, path, overwrite: true);

    /// <summary>The waits between attempts of a rename refused by a briefly held target: short, doubling, bounded.</summary>
    internal static readonly TimeSpan[] LockedRetryDelays =
        [TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(400), TimeSpan.FromMilliseconds(800)];

    /// <summary><paramref name="move"/>, tried again after each of <see cref="LockedRetryDelays"/> while it fails
    /// with <see cref="IsBrieflyLocked"/>; the last attempt's error is thrown as it is.</summary>
    internal static void ReplaceRetryingLocked(string temp, string path, Action<string, string> move, Action<TimeSpan> wait)
    {
        foreach (var delay in LockedRetryDelays)
        {
            try
            {
                move(temp, path);
                return;
            }
            catch (Exception e) when (IsBrieflyLocked(e))
            {
                wait(delay);
            }
        }
        move(temp, path);
    }

    private const int AccessDenied = unchecked((int)0x80070005); // HRESULT_FROM_WIN32(ERROR_ACCESS_DENIED)
    private const int SharingViolation = unchecked((int)0x80070020); // HRESULT_FROM_WIN32(ERROR_SHARING_VIOLATION)

    /// <summary>What a rename meets while another process holds the target: known by its code, never by its text
    /// (which is translated).</summary>
    internal static bool IsBrieflyLocked(Exception e) =>
        e is IOException or UnauthorizedAccessException && e.HResult is AccessDenied or SharingViolation;

    /// <summary>Deletes the temporary files of writes of <paramref name="path"/> that never reached their rename (the
    /// writer was killed): they are named <c>.NAME.PID.RANDOM.tmp</c> beside it. Best effort.</summary>
    public static void DeleteLeftovers(string path)
    {
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full)!;
        try
        {
            foreach (var temp in Directory.EnumerateFiles(folder, $".{Path.GetFileName(full)}.*.tmp"))
            {
                try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>A name beside <paramref name="full"/> no other writer picks: dot-prefixed, so listings that look for
    /// <c>kernel-*.json</c> never see it, and ending in .tmp.</summary>
    private static string TempNameFor(string full) =>
        Path.Combine(Path.GetDirectoryName(full)!,
            $".{Path.GetFileName(full)}.{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}.{Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant()}.tmp");

    /// <summary>
    /// Test hook: with <c>JUPYTERKERNELS_TEST_REWRITE_PAUSE_MS</c> set, a write that replaces an existing file waits
    /// that long with the new contents complete in the temporary file and the old file untouched, so a test can kill
    /// the process inside the rewrite window. Never set outside tests.
    /// </summary>
    private static void PauseBeforeReplacing(string full)
    {
        if (RewritePause is { } pause && File.Exists(full)) Thread.Sleep(pause);
    }

    private static readonly TimeSpan? RewritePause =
        int.TryParse(Environment.GetEnvironmentVariable("JUPYTERKERNELS_TEST_REWRITE_PAUSE_MS"), NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms > 0
            ? TimeSpan.FromMilliseconds(ms) : null;

    /// <summary>
    /// fsync of the folder: a rename is an entry in the folder, which POSIX makes durable only with the folder's
    /// own fsync. Windows has no such call for folders (NTFS journals the rename); nothing to do there.
    /// </summary>
    private static void FlushFolder(string folder)
    {
        if (OperatingSystem.IsWindows()) return;
        int fd = PosixFiles.Open(folder, 0 /* O_RDONLY */);
        if (fd < 0) return; // best effort: the file itself is on disk already
        try { PosixFiles.Fsync(fd); }
        finally { PosixFiles.Close(fd); }
    }

    private static partial class PosixFiles
    {
        [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        public static partial int Open(string path, int flags);

        [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
        public static partial int Fsync(int fd);

        [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
        public static partial int Close(int fd);
    }
}
