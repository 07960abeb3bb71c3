using System.Runtime.Versioning;
using System.Security.AccessControl;
using System.Security.Principal;
using System.Text;

namespace JupyterKernels;

/// <summary>
/// Files and directories only the current user can read: connection files hold the HMAC key, and anyone who can
/// read it can run code as this user (jupyter_core paths.py <c>secure_write</c>).
/// </summary>
internal static class SecureFile
{
    private const UnixFileMode PrivateFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode PrivateDirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode GroupAndOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>
    /// Creates <paramref name="path"/> for writing, user-only from the first byte. POSIX: any existing file is deleted
    /// first (it may have been created with a looser mode, or be a link planted by someone else), then the file is
    /// created with O_EXCL and mode 0600, and the mode is verified. Windows: the file is created with a DACL that
    /// grants only the current user.
    /// </summary>
    /// <exception cref="IOException">The file could not be created user-only.</exception>
    public static FileStream CreatePrivate(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return CreatePrivateWindows(path);
        }

        // Delete rather than truncate: truncating keeps the old inode and its mode (and follows symlinks).
        // File.Delete removes a symlink itself (not its target) and is a no-op when nothing is there.
        File.Delete(path);
        var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
            UnixCreateMode = PrivateFileMode,
        });
        try
        {
            // umask can only remove bits, but a file system (CIFS, some FUSE mounts) may ignore the mode entirely.
            // Ignore the owner's x bit, as jupyter_core's get_file_mode does (CIFS sets it); group/other must be 0.
            var mode = File.GetUnixFileMode(stream.SafeFileHandle);
            var relevant = (int)mode & 0x1FF & ~0x40;
            if (relevant != (int)PrivateFileMode && !AllowInsecureWrites())
            {
                throw new IOException(
                    $"Could not create '{path}' readable by the current user only: its mode is {Convert.ToString((int)mode & 0x1FF, 8)}, " +
                    "expected 600 (the file system may not support POSIX permissions). Set JUPYTER_ALLOW_INSECURE_WRITES=1 to accept this.");
            }
        }
        catch
        {
            stream.Dispose();
            TryDelete(path);
            throw;
        }
        return stream;
    }

    /// <summary>Writes <paramref name="contents"/> (UTF-8, no BOM) to a user-only file (see <see cref="CreatePrivate"/>),
    /// atomically (<see cref="AtomicFile"/>): whoever reads <paramref name="path"/>, at any moment, reads the old
    /// contents or the new ones, never an empty file. Not fsynced: these files (connection files) live only as long
    /// as a process does.</summary>
    public static Task WriteAllTextAsync(string path, string contents, CancellationToken cancellationToken = default) =>
        AtomicFile.WriteAsync(path, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(contents), userOnly: true, durable: false, cancellationToken);

    /// <summary>
    /// Creates an empty user-only file at <paramref name="path"/> unless one is there. An existing file is left as it
    /// is (another process may have it open: a database is never replaced); losing a creation race is not an error.
    /// Returns true when this call created the file.
    /// </summary>
    public static bool CreatePrivateIfMissing(string path)
    {
        if (File.Exists(path)) return false;
        try
        {
            if (OperatingSystem.IsWindows())
            {
                using var created = CreateWithUserOnlyAcl(path, FileShare.ReadWrite);
            }
            else
            {
                using var created = new FileStream(path, new FileStreamOptions
                {
                    Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.ReadWrite, UnixCreateMode = PrivateFileMode,
                });
            }
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            return false; // another process created it first
        }
    }

    /// <summary>
    /// Takes every permission but the owner's read/write away from an existing file (POSIX: mode 0600 when it had
    /// more; Windows: a current-user-only DACL). Files created by others' code (SQLite's -wal and -shm) are made
    /// private this way. A missing file is skipped.
    /// </summary>
    public static void RestrictToUser(string path)
    {
        if (!File.Exists(path)) return;
        if (OperatingSystem.IsWindows())
        {
            new FileInfo(path).SetAccessControl(UserOnlyFileSecurity());
            return;
        }
        if ((File.GetUnixFileMode(path) & ~PrivateFileMode) != 0) File.SetUnixFileMode(path, PrivateFileMode);
    }

    /// <summary>
    /// Creates <paramref name="path"/> (and its parents) if needed and makes the directory itself user-only:
    /// 0700 on POSIX (the sticky bit, which jupyter_client sets on the runtime dir, is kept), current-user DACL on Windows.
    /// An existing directory is only tightened, never loosened.
    /// </summary>
    public static void EnsurePrivateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            EnsurePrivateDirectoryWindows(path);
            return;
        }

        if (!Directory.Exists(path))
        {
            var parent = Path.GetDirectoryName(Path.GetFullPath(path));
            if (!string.IsNullOrEmpty(parent))
            {
                // Parents get the default mode, as os.makedirs gives them; only the leaf is private.
                Directory.CreateDirectory(parent);
            }
            try
            {
                Directory.CreateDirectory(path, PrivateDirectoryMode);
            }
            catch (IOException) when (Directory.Exists(path))
            {
                // Created concurrently by another process: fall through and tighten it.
            }
        }

        var mode = File.GetUnixFileMode(path);
        if ((mode & GroupAndOther) != 0)
        {
            File.SetUnixFileMode(path, mode & ~GroupAndOther);
        }
    }

    /// <summary>jupyter_core's JUPYTER_ALLOW_INSECURE_WRITES escape hatch ("1" or "true").</summary>
    private static bool AllowInsecureWrites() =>
        Environment.GetEnvironmentVariable("JUPYTER_ALLOW_INSECURE_WRITES")?.ToLowerInvariant() is "1" or "true";

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    // Windows: FileSystemAclExtensions is part of the net8.0 shared framework (System.IO.FileSystem.AccessControl),
    // so the file is created with its DACL in one call and never exists with inherited permissions.
    // jupyter_core also grants BUILTIN\Administrators; we do not, as administrators can take ownership anyway.

    [SupportedOSPlatform("windows")]
    private static FileStream CreatePrivateWindows(string path)
    {
        TryDelete(path);
        return CreateWithUserOnlyAcl(path, FileShare.None);
    }

    [SupportedOSPlatform("windows")]
    private static FileStream CreateWithUserOnlyAcl(string path, FileShare share) =>
        new FileInfo(path).Create(FileMode.CreateNew, FileSystemRights.Read | FileSystemRights.Write | FileSystemRights.Delete,
            share, bufferSize: 4096, FileOptions.None, UserOnlyFileSecurity());

    [SupportedOSPlatform("windows")]
    private static FileSecurity UserOnlyFileSecurity()
    {
        var security = new FileSecurity();
        security.SetAccessRuleProtection(isProtected: true, preserveInheritance: false);
        security.SetOwner(CurrentUser());
        security.AddAccessRule(new FileSystemAccessRule(CurrentUser(), FileSystemRights.FullControl, AccessControlType.Allow));
        return security;
    }

    [SupportedOSPlatform("windows")]
    private static void EnsurePrivateDirectoryWindows(string path)
    {
        var security = new DirectorySecurity();
        security.SetAccessRuleProtection(isProtected: true, preserveInheritance: false);
        security.AddAccessRule(new FileSystemAccessRule(CurrentUser(), FileSystemRights.FullControl,
            InheritanceFlags.ContainerInherit | InheritanceFlags.ObjectInherit, PropagationFlags.None, AccessControlType.Allow));
        var info = new DirectoryInfo(path);
        if (!info.Exists)
        {
            var parent = info.Parent;
            parent?.Create();
            info.Create(security);
        }
        else
        {
            info.SetAccessControl(security);
        }
    }

    [SupportedOSPlatform("windows")]
    private static SecurityIdentifier CurrentUser() =>
        WindowsIdentity.GetCurrent().User ?? throw new IOException("Cannot determine the current Windows user to restrict a file to.");
}
