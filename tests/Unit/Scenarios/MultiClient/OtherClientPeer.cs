using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.MultiClient;

/// <summary>One of the peers in MultiClient/peers run as a separate process (another Jupyter client): its JSON lines
/// as they come, and the process to wait for.</summary>
internal sealed class OtherClientPeer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<JsonElement> _lines = Channel.CreateUnbounded<JsonElement>();
    private readonly Task<string> _stderr;

    private OtherClientPeer(Process process)
    {
        _process = process;
        _stderr = process.StandardError.ReadToEndAsync();
        _ = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
                if (line.StartsWith('{')) _lines.Writer.TryWrite(JsonDocument.Parse(line).RootElement.Clone());
            _lines.Writer.TryComplete();
        });
    }

    public static OtherClientPeer Start(string script, params string[] args)
    {
        var psi = new ProcessStartInfo(RealPython.Path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Scenarios", "MultiClient", "peers", script));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("PYTHONPATH");
        return new OtherClientPeer(Process.Start(psi)!);
    }

    /// <summary>JupyterLab's own client library in Node (MultiClient/labclient: @jupyterlab/services, its lockfile
    /// committed; installed with npm ci on first use when CI has not already): <c>exec KERNEL_ID CODE</c>,
    /// <c>restart KERNEL_ID</c>, <c>sessions</c>.</summary>
    public static OtherClientPeer StartLab(string url, string token, params string[] args)
    {
        var folder = LabClientFolder();
        var psi = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = folder };
        psi.ArgumentList.Add(Path.Combine(folder, "labclient.js"));
        foreach (var a in new[] { url, token }.Concat(args)) psi.ArgumentList.Add(a);
        return new OtherClientPeer(Process.Start(psi)!);
    }

    private static readonly Lazy<string> LabFolder = new(() =>
    {
        // .../tests/Unit/bin/<Configuration>/<framework>/ → .../tests/Unit/Scenarios/MultiClient/labclient (the source folder, where
        // its node_modules are).
        var unit = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Parent!.Parent!.FullName;
        var folder = Path.Combine(unit, "Scenarios", "MultiClient", "labclient");
        if (!File.Exists(Path.Combine(folder, "node_modules", "@jupyterlab", "services", "package.json")))
        {
            var npm = new ProcessStartInfo("npm") { WorkingDirectory = folder, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "ci", "--ignore-scripts", "--no-audit", "--no-fund" }) npm.ArgumentList.Add(a);
            using var p = Process.Start(npm)!;
            var err = p.StandardError.ReadToEndAsync();
            _ = p.StandardOutput.ReadToEndAsync();
            if (!p.WaitForExit(300_000) || p.ExitCode != 0)
                throw new InvalidOperationException($"npm ci in {folder} failed: {(err.IsCompleted ? err.Result : "timed out")}");
        }
        return folder;
    });

    private static string LabClientFolder() => LabFolder.Value;

    /// <summary>The next line that has <paramref name="key"/> (an event name, or "status" for a result).</summary>
    public async Task<JsonElement> WaitForAsync(string key, string? eventName = null, int seconds = 90)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        try
        {
            while (await _lines.Reader.WaitToReadAsync(cts.Token))
                while (_lines.Reader.TryRead(out var line))
                    if (line.TryGetProperty(key, out var v) && (eventName is null || v.GetString() == eventName)) return line;
        }
        catch (OperationCanceledException) { }
        throw new Xunit.Sdk.XunitException($"peer never said {key} {eventName}; stderr: {(_stderr.IsCompleted ? await _stderr : "(running)")}");
    }

    public int Pid => _process.Id;

    public async ValueTask DisposeAsync()
    {
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        try { await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)); } catch (TimeoutException) { }
        _process.Dispose();
    }
}
