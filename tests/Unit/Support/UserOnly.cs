using System.Runtime.Versioning;
using System.Security.AccessControl;
using System.Security.Principal;

namespace JupyterKernels.Tests.Support;

/// <summary>
/// "Only the current user can read it", asserted on every OS: POSIX mode 0600 for a file, 0700 for a directory;
/// on Windows a protected DACL (nothing inherited) whose every rule is the current user's.
/// </summary>
internal static class UserOnly
{
    private const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode DirectoryMode = FileMode | UnixFileMode.UserExecute;

    /// <param name="allowAdministrators">Also accept BUILTIN\Administrators and SYSTEM on Windows (what jupyter_core's
    /// own secure_write grants, for files Python wrote).</param>
    public static void AssertFile(string path, bool allowAdministrators = false)
    {
        if (OperatingSystem.IsWindows()) AssertAcl(new FileInfo(path).GetAccessControl(), path, allowAdministrators);
        else Assert.Equal(FileMode, File.GetUnixFileMode(path));
    }

    public static void AssertDirectory(string path)
    {
        if (OperatingSystem.IsWindows()) AssertAcl(new DirectoryInfo(path).GetAccessControl(), path, allowAdministrators: false);
        else Assert.Equal(DirectoryMode, File.GetUnixFileMode(path));
    }

    [SupportedOSPlatform("windows")]
    private static void AssertAcl(FileSystemSecurity security, string path, bool allowAdministrators)
    {
        Assert.True(security.AreAccessRulesProtected, $"'{path}' inherits permissions from its parent");
        var allowed = new List<SecurityIdentifier> { WindowsIdentity.GetCurrent().User! };
        if (allowAdministrators)
        {
            allowed.Add(new SecurityIdentifier(WellKnownSidType.BuiltinAdministratorsSid, null));
            allowed.Add(new SecurityIdentifier(WellKnownSidType.LocalSystemSid, null));
        }
        var rules = security.GetAccessRules(includeExplicit: true, includeInherited: true, typeof(SecurityIdentifier)).Cast<FileSystemAccessRule>().ToList();
        Assert.NotEmpty(rules);
        Assert.All(rules, r => Assert.Contains((SecurityIdentifier)r.IdentityReference, allowed));
    }
}

/// <summary>A fact about a POSIX-only property (modes, the sticky bit): reported as skipped on Windows, with the reason.</summary>
public sealed class UnixFactAttribute : FactAttribute
{
    public UnixFactAttribute(string windowsSkipReason)
    {
        if (OperatingSystem.IsWindows()) Skip = windowsSkipReason;
    }
}
