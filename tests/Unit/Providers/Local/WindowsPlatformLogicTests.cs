using System.Net;
using System.Net.Sockets;
using JupyterKernels.Connections;
using JupyterKernels.Kernelspecs;
using JupyterKernels.Providers;
using JupyterKernels.Providers.Local;
using JupyterKernels.Store;
using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.Local;

/// <summary>
/// The parts of the Windows support that are plain logic, checked here on any OS; the Win32 calls themselves run in
/// the Windows lane (tests/Windows/run-wine-lane.sh).
/// </summary>
public sealed class WindowsPlatformLogicTests
{
    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("", "\"\"")]
    [InlineData("two words", "\"two words\"")]
    [InlineData(@"C:\Program Files\Python\python.exe", "\"C:\\Program Files\\Python\\python.exe\"")]
    [InlineData(@"C:\dir with space\", "\"C:\\dir with space\\\\\"")]
    [InlineData("say \"hi\"", "\"say \\\"hi\\\"\"")]
    [InlineData(@"back\\""quote", "\"back\\\\\\\\\\\"quote\"")]
    public void Command_line_quoting_follows_the_C_runtime_rules(string arg, string expected)
        => Assert.Equal(expected, WindowsCommandLine.Quote(arg));

    [Fact]
    public void Environment_block_is_sorted_name_value_pairs_ending_in_two_nulls()
    {
        var block = new string(WindowsCommandLine.EnvironmentBlock(new Dictionary<string, string?>
        {
            ["b"] = "2", ["A"] = "1", ["skipped"] = null, ["JPY_INTERRUPT_EVENT"] = "1234",
        }));
        Assert.Equal("A=1\0b=2\0JPY_INTERRUPT_EVENT=1234\0\0", block);
        Assert.Equal("\0\0", new string(WindowsCommandLine.EnvironmentBlock(new Dictionary<string, string?>())));
    }

    [Fact]
    public void Interrupt_event_is_kept_in_the_provider_data_and_old_rows_have_none()
    {
        var data = new LocalKernelData { Pid = 42, InterruptEvent = 0x2F4 };
        var record = data.ApplyTo(new KernelRecord { Id = "k", Provider = "local", SpecName = "python3" });
        Assert.Contains("\"interrupt_event\":756", record.ProviderData);
        Assert.Equal(0x2F4, LocalKernelData.Of(record).InterruptEvent);
        Assert.Null(LocalKernelData.Of(record with { ProviderData = "{\"pid\":42}" }).InterruptEvent);
    }

    [Fact]
    public void A_port_clash_is_told_by_the_bind_error_code_not_by_the_kernels_words()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        int taken = ((IPEndPoint)holder.LocalEndpoint).Port;
        var clash = ConnectionInfo.CreateLocal("python3") with { ShellPort = taken };
        Assert.True(PortClash.AnyPortTaken(clash));
        var failed = new KernelException(ErrorIds.KernelExitedDuringStart, KernelErrorCategory.InvalidOperation, "Kernel 'x' exited during start. Its output ends with: Adresse bereits in Verwendung", "x");
        Assert.True(PortClash.Caused(failed, clash));
        holder.Stop();
        Assert.False(PortClash.AnyPortTaken(ConnectionInfo.CreateLocal("python3")));
        // Another failure with the old English words, but every port free: not a clash.
        var other = new KernelException(ErrorIds.KernelExitedDuringStart, KernelErrorCategory.InvalidOperation, "Address already in use", "x");
        Assert.False(PortClash.Caused(other, ConnectionInfo.CreateLocal("python3")));
    }

    [Fact]
    public void Windows_store_goes_to_local_appdata_and_elsewhere_stays_in_the_jupyter_data_dir()
    {
        using var dir = new TempDirectory();
        var local = Path.Combine(dir.Path, "Local");
        var roaming = Path.Combine(dir.Path, "Roaming");
        var windows = new JupyterPaths(new FixedJupyterEnvironment(JupyterPlatform.Windows, @"C:\Users\ada",
            new[] { KeyValuePair.Create("APPDATA", roaming) }));
        string? Env(string name) => name == "LOCALAPPDATA" ? local : null;
        Assert.Equal(Path.Combine(local, "JupyterKernels"), StoreLocation.DataDirectory(windows, Env));
        // A JUPYTER_DATA_DIR or JUPYTERKERNELS_DB the user set is kept.
        Assert.Equal(windows.DataDir, StoreLocation.DataDirectory(windows, n => n == "JUPYTER_DATA_DIR" ? "x" : Env(n)));
        Assert.Equal(windows.DataDir, StoreLocation.DataDirectory(windows, n => n == "JUPYTERKERNELS_DB" ? "x" : Env(n)));
        var linux = new JupyterPaths(new FixedJupyterEnvironment(JupyterPlatform.Linux, "/home/ada", Array.Empty<KeyValuePair<string, string>>()));
        Assert.Equal(linux.DataDir, StoreLocation.DataDirectory(linux, Env));
    }

    [Fact]
    public void A_roaming_store_is_moved_once_with_its_log_and_a_local_one_is_never_overwritten()
    {
        using var dir = new TempDirectory();
        var from = Path.Combine(dir.Path, "Roaming", "jupyter");
        var to = Path.Combine(dir.Path, "Local", "JupyterKernels");
        Directory.CreateDirectory(from);
        File.WriteAllText(Path.Combine(from, KernelStore.FileName), "db");
        File.WriteAllText(Path.Combine(from, KernelStore.FileName + "-wal"), "wal");
        File.WriteAllText(Path.Combine(from, KernelStore.FileName + "-shm"), "shm");

        Assert.True(StoreLocation.MoveOnce(from, to));
        Assert.Equal("db", File.ReadAllText(Path.Combine(to, KernelStore.FileName)));
        Assert.Equal("wal", File.ReadAllText(Path.Combine(to, KernelStore.FileName + "-wal")));
        Assert.False(File.Exists(Path.Combine(from, KernelStore.FileName)));
        Assert.False(File.Exists(Path.Combine(from, KernelStore.FileName + "-shm")));

        // Once: a store appearing again in Roaming (an old version still running) does not replace the local one.
        File.WriteAllText(Path.Combine(from, KernelStore.FileName), "old");
        Assert.True(StoreLocation.MoveOnce(from, to));
        Assert.Equal("db", File.ReadAllText(Path.Combine(to, KernelStore.FileName)));
        Assert.Equal("old", File.ReadAllText(Path.Combine(from, KernelStore.FileName)));
    }
}
