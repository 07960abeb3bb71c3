using System.Diagnostics;
using System.Reflection;

namespace JupyterKernels.LoadPeer;

/// <summary>
/// Starts the load peer as its own process (<c>dotnet LoadPeer.dll --kernels N --dir &lt;temp&gt;</c>) for tests and
/// bench/, waits for its ready line and lists the connection files. Dispose closes its stdin (it exits on EOF), kills
/// it if it is still there after two seconds, and deletes the directory.
/// </summary>
internal sealed class LoadPeerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _dir;
    private readonly Task _stderrPump;
    private readonly System.Text.StringBuilder _stderr = new();

    private LoadPeerProcess(Process process, string dir, int kernels)
    {
        _process = process;
        _dir = dir;
        ConnectionFiles = Enumerable.Range(0, kernels).Select(i => Path.Combine(dir, $"kernel-{i}.json")).ToArray();
        _stderrPump = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync() is { } line)
                lock (_stderr) if (_stderr.Length < 64 * 1024) _stderr.AppendLine(line);
        });
    }

    public IReadOnlyList<string> ConnectionFiles { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;

    /// <summary>What the peer wrote on stderr so far (dropped messages, unimplemented requests), capped at 64 KiB.</summary>
    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    public static async Task<LoadPeerProcess> StartAsync(int kernels, TimeSpan readyTimeout, CancellationToken cancellationToken = default)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"jk-loadpeer-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        var info = new ProcessStartInfo(DotnetHost)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        info.ArgumentList.Add(DllPath);
        info.ArgumentList.Add("--kernels");
        info.ArgumentList.Add(kernels.ToString(System.Globalization.CultureInfo.InvariantCulture));
        info.ArgumentList.Add("--dir");
        info.ArgumentList.Add(dir);
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the load peer");
        var peer = new LoadPeerProcess(process, dir, kernels);
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(readyTimeout);
            while (true)
            {
                var line = await process.StandardOutput.ReadLineAsync(cts.Token);
                if (line is null)
                {
                    await process.WaitForExitAsync(cts.Token);
                    throw new InvalidOperationException($"the load peer exited ({process.ExitCode}) before it was ready: {peer.Stderr}");
                }
                if (line.StartsWith(Program.ReadyLine, StringComparison.Ordinal)) return peer;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await peer.DisposeAsync();
            throw new TimeoutException($"the load peer with {kernels} kernels was not ready within {readyTimeout}");
        }
        catch
        {
            await peer.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try { _process.StandardInput.Close(); } catch (IOException) { } catch (InvalidOperationException) { }
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2)))
        {
            try { await _process.WaitForExitAsync(cts.Token); }
            catch (OperationCanceledException)
            {
                try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                using var killWait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                try { await _process.WaitForExitAsync(killWait.Token); } catch (OperationCanceledException) { }
            }
        }
        await _stderrPump.WaitAsync(TimeSpan.FromSeconds(1)).ContinueWith(_ => { });
        _process.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>LoadPeer.dll in its own build output (baked in at build time, so a copy next to a referencing assembly is never run).</summary>
    public static string DllPath
    {
        get
        {
            var assembly = typeof(LoadPeerProcess).Assembly;
            var built = assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "LoadPeerBuiltPath")?.Value;
            if (built is not null && File.Exists(built) && File.Exists(Path.ChangeExtension(built, ".runtimeconfig.json"))) return built;
            return assembly.Location;
        }
    }

    private static string DotnetHost
    {
        get
        {
            var exe = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
            if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)) return host;
            if (Path.GetFileName(Environment.ProcessPath) == exe) return Environment.ProcessPath!;
            if (Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } root && File.Exists(Path.Combine(root, exe))) return Path.Combine(root, exe);
            return exe;
        }
    }
}
