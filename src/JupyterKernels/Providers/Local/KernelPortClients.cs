using System.Globalization;

namespace JupyterKernels.Providers.Local;

/// <summary>A process connected to a local kernel: a Jupyter client (jupyter console, a notebook server, another
/// PowerShell) holding an established TCP connection to one of the kernel's ports.</summary>
internal sealed record KernelPortClient(int Pid, string Name)
{
    public override string ToString() => $"process {Pid} ({Name})";
}

/// <summary>
/// Who is connected to a local kernel, as the operating system sees it (Linux: /proc/net/tcp and tcp6 for the
/// established connections whose remote port is one of the kernel's, /proc/*/fd for the processes holding them). It is
/// a local kernel's answer to a server's <c>connections</c> count: evidence of another client's use that the module
/// did not record. Only processes of this user can be seen; elsewhere than Linux the answer is "cannot tell" (null).
/// </summary>
internal static class KernelPortClients
{
    private const string Established = "01";

    /// <summary>The processes other than this one and the kernel with a connection to <paramref name="ports"/>, or
    /// null when it cannot be observed here.</summary>
    public static IReadOnlyList<KernelPortClient>? Find(IReadOnlyCollection<int> ports, int? kernelPid)
    {
        if (!OperatingSystem.IsLinux() || ports.Count == 0) return null;
        var inodes = new HashSet<long>();
        try
        {
            foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
                if (File.Exists(table)) CollectInodes(File.ReadLines(table), ports, inodes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        var found = new List<KernelPortClient>();
        if (inodes.Count == 0) return found;
        var self = Environment.ProcessId;
        foreach (var dir in SafeEnumerate("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == self || pid == kernelPid) continue;
            if (HoldsAny(dir, inodes)) found.Add(new KernelPortClient(pid, NameOf(dir)));
        }
        return found;
    }

    /// <summary>The other clients of a local kernel's record (its ports from the recorded connection info), or null when
    /// they cannot be observed.</summary>
    public static IReadOnlyList<KernelPortClient>? Find(KernelRecord kernel)
    {
        var data = LocalKernelData.Of(kernel);
        try
        {
            var info = data.ConnectionInfoJson is { } json ? Connections.ConnectionFile.Parse(json, $"the record of kernel {kernel.Id}")
                : data.ConnectionFile is { } file && File.Exists(file) ? Connections.ConnectionFile.Read(file) : null;
            return info is null ? null : Find(info.Ports, data.Pid);
        }
        catch (KernelException)
        {
            return null;
        }
    }

    /// <summary>Inodes of established sockets whose remote port is one of <paramref name="ports"/> (the client side).</summary>
    internal static void CollectInodes(IEnumerable<string> lines, IReadOnlyCollection<int> ports, HashSet<long> inodes)
    {
        foreach (var line in lines.Skip(1))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 10 || f[3] != Established) continue;
            var colon = f[2].LastIndexOf(':');
            if (colon < 0 || !int.TryParse(f[2].AsSpan(colon + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var port) || !ports.Contains(port)) continue;
            if (long.TryParse(f[9], NumberStyles.None, CultureInfo.InvariantCulture, out var inode) && inode != 0) inodes.Add(inode);
        }
    }

    private static bool HoldsAny(string processDir, HashSet<long> inodes)
    {
        foreach (var fd in SafeEnumerate(Path.Combine(processDir, "fd")))
        {
            string? target;
            try { target = new FileInfo(fd).LinkTarget; }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
            if (target is null || !target.StartsWith("socket:[", StringComparison.Ordinal) || target[^1] != ']') continue;
            if (long.TryParse(target.AsSpan(8, target.Length - 9), NumberStyles.None, CultureInfo.InvariantCulture, out var inode) && inodes.Contains(inode)) return true;
        }
        return false;
    }

    private static string NameOf(string processDir)
    {
        try { return File.ReadAllText(Path.Combine(processDir, "comm")).Trim(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return "?"; }
    }

    private static IEnumerable<string> SafeEnumerate(string dir)
    {
        try { return Directory.GetFileSystemEntries(dir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return Array.Empty<string>(); }
    }
}
