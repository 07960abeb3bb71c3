using System.Diagnostics;
using System.Text;

namespace JupyterKernels.Providers.Local;

/// <summary>
/// Starts a kernel so that it outlives us: its own session (setsid) or at least its own process group, stdin from
/// /dev/null, stdout/stderr appended to a log file (a pipe to us would break when we exit), and never our child
/// (a shell backgrounds it and exits), so no zombie waits on us and the next PowerShell process can adopt it.
/// On Windows, <see cref="WindowsLauncher"/> does the same with CreateProcess, and adds the interrupt event.
/// </summary>
internal static class DetachedLauncher
{
    // $1 = log file, $2... = argv. Prints the kernel's pid. With setsid(1) (Linux) the kernel leads a new session;
    // elsewhere `set -m` gives the background job its own process group.
    private const string PosixScript =
        "log=\"$1\"; shift; " +
        "if command -v setsid >/dev/null 2>&1; then setsid \"$@\" </dev/null >>\"$log\" 2>&1 & " +
        "else set -m; \"$@\" </dev/null >>\"$log\" 2>&1 & fi; echo $!";

    public static async Task<LaunchedProcess> StartAsync(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string?> environment,
        string? workingDirectory, string logFile, CancellationToken cancellationToken)
    {
        if (argv.Count == 0) throw new ArgumentException("argv is empty", nameof(argv));
        return OperatingSystem.IsWindows()
            ? WindowsLauncher.Start(argv, environment, workingDirectory, logFile)
            : new LaunchedProcess(await StartPosixAsync(argv, environment, workingDirectory, logFile, cancellationToken).ConfigureAwait(false), null);
    }

    /// <summary>What the OS tells of a kernel that exited during its start (Windows: its exit code), or "".</summary>
    public static string ExitNote(int? pid) => OperatingSystem.IsWindows() && pid is { } id ? WindowsLauncher.ExitNote(id) : "";

    /// <summary>The start of the kernel <paramref name="pid"/> has ended, either way: what was kept for <see cref="ExitNote"/> goes.</summary>
    public static void Release(int pid)
    {
        if (OperatingSystem.IsWindows()) WindowsLauncher.Release(pid);
    }

    private static async Task<int> StartPosixAsync(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string?> environment,
        string? workingDirectory, string logFile, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(PosixScript);
        info.ArgumentList.Add("jupyterkernels-launch");
        info.ArgumentList.Add(logFile);
        foreach (var arg in argv) info.ArgumentList.Add(arg);
        ApplyEnvironment(info, environment);

        using var shell = Process.Start(info) ?? throw new InvalidOperationException("/bin/sh did not start");
        var stdout = shell.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = shell.StandardError.ReadToEndAsync(cancellationToken);
        await shell.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        var text = (await stdout.ConfigureAwait(false)).Trim();
        if (shell.ExitCode != 0 || !int.TryParse(text, out var pid) || pid <= 0)
            throw new InvalidOperationException($"launcher shell failed (exit {shell.ExitCode}): {(await stderr.ConfigureAwait(false)).Trim()}");
        return pid;
    }

    private static void ApplyEnvironment(ProcessStartInfo info, IReadOnlyDictionary<string, string?> environment)
    {
        info.Environment.Clear();
        foreach (var (name, value) in environment)
            if (value is not null) info.Environment[name] = value;
    }

    /// <summary>The last lines of the kernel's log, for "exited during start" errors.</summary>
    public static string Tail(string logFile, int maxLines = 20, int maxBytes = 8192)
    {
        try
        {
            using var stream = new FileStream(logFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var start = Math.Max(0, stream.Length - maxBytes);
            stream.Seek(start, SeekOrigin.Begin);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var lines = reader.ReadToEnd().Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToArray();
            return string.Join(Environment.NewLine, lines.Skip(Math.Max(0, lines.Length - maxLines)));
        }
        catch (IOException) { return ""; }
        catch (UnauthorizedAccessException) { return ""; }
    }
}
