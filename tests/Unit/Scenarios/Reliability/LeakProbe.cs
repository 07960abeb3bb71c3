using System.Diagnostics;
using System.Globalization;

namespace JupyterKernels.Tests.Reliability;

/// <summary>
/// Linux leak checks: this process's open TCP sockets to given ports (socket inodes from /proc/self/fd matched
/// against /proc/net/tcp and tcp6, so other processes' and TIME_WAIT entries do not count), and whether a pid is gone.
/// </summary>
internal static class LeakProbe
{
    public static int OwnTcpSocketsTo(IEnumerable<int> remotePorts)
    {
        var ports = remotePorts.ToHashSet();
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                var target = new FileInfo(fd).LinkTarget;
                if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal)) inodes.Add(target[8..^1]);
            }
            catch (IOException) { } // the fd closed meanwhile
            catch (UnauthorizedAccessException) { }
        }
        int count = 0;
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table)) continue;
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 10 || !inodes.Contains(fields[9])) continue;
                var remote = fields[2];
                var port = int.Parse(remote[(remote.LastIndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (ports.Contains(port)) count++;
            }
        }
        return count;
    }

    /// <summary>Polls until this process has no TCP socket to <paramref name="ports"/> (closes are asynchronous); returns the last count.</summary>
    public static async Task<int> WaitForNoOwnSocketsAsync(IReadOnlyCollection<int> ports, TimeSpan bound)
    {
        var sw = Stopwatch.StartNew();
        int count;
        while ((count = OwnTcpSocketsTo(ports)) > 0 && sw.Elapsed < bound) await Task.Delay(50);
        return count;
    }

    /// <summary>True when no process (not even a zombie) has this pid.</summary>
    public static bool IsGone(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var close = stat.LastIndexOf(')');
            return close > 0 && stat[close + 2] is 'Z' or 'X';
        }
        catch (IOException) { return true; }
    }

    public static async Task<bool> WaitGoneAsync(int pid, TimeSpan bound)
    {
        var sw = Stopwatch.StartNew();
        while (!IsGone(pid))
        {
            if (sw.Elapsed > bound) return false;
            await Task.Delay(50);
        }
        return true;
    }

    public static string CommandLine(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' '); }
        catch (IOException) { return ""; }
    }

    public static void KillHard(int pid)
    {
        try { using var p = Process.GetProcessById(pid); p.Kill(); }
        catch (ArgumentException) { }
        catch (InvalidOperationException) { }
    }
}
