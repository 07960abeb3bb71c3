using System.Diagnostics;
using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.Reliability;

/// <summary>
/// As a non-root user (root ignores file modes: the test drops to uid 65534 with setpriv when it
/// runs as root), with separate processes (KernelCli) on one store: chmod 400 the store, read it (SQLite leaves a
/// 0400 -shm), chmod 600 it again — the next start must work, without anyone fixing -shm by hand.
/// </summary>
public sealed class StoreFileModeTests : IDisposable
{
    private const int Nobody = 65534;
    private readonly TempDirectory _temp = new("jk-mode");
    private readonly string _dir;

    public StoreFileModeTests()
    {
        _dir = _temp.Path;
        Directory.CreateDirectory(Path.Combine(_dir, "home"));
        if (Environment.UserName == "root")
        {
            // The checkout may sit where uid 65534 cannot read (CI clones anywhere, /root is 0700): run a copy of
            // KernelCli from the test's own folder, which that user owns.
            CopyDirectory(Path.GetDirectoryName(SiblingTool.DllPath("KernelCli"))!, CliDir);
            Run("chown", "-R", $"{Nobody}:{Nobody}", _dir);
        }
    }

    private string CliDir => Path.Combine(_dir, "cli");

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var dir in Directory.GetDirectories(from)) CopyDirectory(dir, Path.Combine(to, Path.GetFileName(dir)));
    }

    public void Dispose()
    {
        foreach (var pid in InterruptedStartTests.LiveKernelProcessesUnder(_dir)) LeakProbe.KillHard(pid);
        _temp.Dispose();
    }

    private string Db => Path.Combine(_dir, "jk.db");

    private static void Run(string file, params string[] args)
    {
        using var p = Process.Start(file, args);
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
    }

    private async Task<(int ExitCode, string Stdout, string Stderr)> KernelCliAsync(params string[] args)
    {
        var asRoot = Environment.UserName == "root";
        var info = new ProcessStartInfo(asRoot ? "setpriv" : SiblingTool.DotnetHost) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (asRoot) foreach (var a in new[] { $"--reuid={Nobody}", $"--regid={Nobody}", "--clear-groups", "--", SiblingTool.DotnetHost }) info.ArgumentList.Add(a);
        info.ArgumentList.Add(asRoot ? Path.Combine(CliDir, Path.GetFileName(SiblingTool.DllPath("KernelCli"))) : SiblingTool.DllPath("KernelCli"));
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment.Clear();
        info.Environment["PATH"] = "/usr/bin:/bin";
        info.Environment["HOME"] = Path.Combine(_dir, "home");
        info.Environment["DOTNET_CLI_HOME"] = Path.Combine(_dir, "home");
        info.Environment["JUPYTERKERNELS_DB"] = Db;
        info.Environment["JUPYTER_RUNTIME_DIR"] = Path.Combine(_dir, "runtime");
        info.Environment["JUPYTER_DATA_DIR"] = Path.Combine(_dir, "data");
        info.Environment["JUPYTER_CONFIG_DIR"] = Path.Combine(_dir, "config");
        info.Environment["JUPYTER_PATH"] = RealPython.KernelSpecDir[..RealPython.KernelSpecDir.LastIndexOf('/')];
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task After_the_store_was_read_only_for_a_while_restoring_its_mode_is_enough_to_write_again()
    {
        var first = await KernelCliAsync("list");
        Assert.True(first.ExitCode == 0, first.Stderr);
        File.SetUnixFileMode(Db, UnixFileMode.UserRead);

        var readOnly = await KernelCliAsync("list");
        Assert.True(readOnly.ExitCode == 0, "reading a read-only store: " + readOnly.Stderr);
        File.SetUnixFileMode(Db, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var start = await KernelCliAsync("start", "python3");
        Assert.True(start.ExitCode == 0, "start after the mode was restored: " + start.Stderr);
        foreach (var side in new[] { Db + "-shm", Db + "-wal" })
            if (File.Exists(side)) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(side));
        var list = await KernelCliAsync("list");
        Assert.Contains(start.Stdout.Trim(), list.Stdout);
    }
}
