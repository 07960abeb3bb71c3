using JupyterKernels.Connections;
using JupyterKernels.Kernelspecs;
using JupyterKernels.Providers;
using JupyterKernels.Providers.Local;

namespace JupyterKernels.Tests.Support;

/// <summary>
/// A local provider over a private runtime dir and spec dirs: the real Debian python3 kernelspec plus specs a test
/// writes itself (broken ones, failing ones). Kernels started through it are shut down at dispose.
/// </summary>
public sealed class LocalKernelFixture : IAsyncDisposable
{
    private readonly List<KernelRecord> _started = new();

    public LocalKernelFixture()
    {
        Root = new TempDirectory("jk-local");
        Directory.CreateDirectory(SpecDir);
        var env = new FixedJupyterEnvironment(JupyterPlatform.Linux, Root.Path, new Dictionary<string, string>
        {
            ["JUPYTER_RUNTIME_DIR"] = Root.Combine("runtime"),
            ["JUPYTER_DATA_DIR"] = Root.Combine("data"),
        });
        Paths = new JupyterPaths(env);
        Catalog = new KernelSpecCatalog(new[] { SpecDir, RealPython.KernelSpecDir });
        Provider = new LocalKernelProvider(Paths, Catalog, ProcessJupyterEnvironment.Instance,
            new LocalProviderOptions { ShutdownWait = TimeSpan.FromSeconds(3), KillWait = TimeSpan.FromSeconds(3) });
    }

    public TempDirectory Root { get; }
    public string SpecDir => Root.Combine("kernels");
    internal JupyterPaths Paths { get; }
    internal KernelSpecCatalog Catalog { get; }
    internal LocalKernelProvider Provider { get; }

    /// <summary>Writes a kernelspec with the given argv (and optional interrupt mode) under the private spec dir.</summary>
    public void WriteSpec(string name, string[] argv, string interruptMode = "signal")
    {
        var dir = System.IO.Path.Combine(SpecDir, name);
        Directory.CreateDirectory(dir);
        var json = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["argv"] = argv,
            ["display_name"] = name,
            ["language"] = "python",
            ["interrupt_mode"] = interruptMode,
        });
        File.WriteAllText(System.IO.Path.Combine(dir, "kernel.json"), json);
    }

    internal async Task<KernelRecord> StartAsync(string spec = "python3", TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var record = await Provider.StartKernelAsync(new KernelStartRequest
        {
            KernelId = Guid.NewGuid().ToString(),
            SpecName = spec,
            StartTimeout = timeout ?? TimeSpan.FromSeconds(60),
        }, cts.Token);
        lock (_started) _started.Add(record);
        return record;
    }

    internal void Track(KernelRecord record)
    {
        lock (_started) _started.Add(record);
    }

    internal async Task<KernelClient> ConnectAsync(KernelRecord record)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var channels = await Provider.ConnectAsync(record, cts.Token);
        var client = new KernelClient(record.Id, channels, Provider.GetClientOptions(record));
        await client.WaitForReadyAsync(TimeSpan.FromSeconds(30), cts.Token);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        KernelRecord[] started;
        lock (_started) started = _started.ToArray();
        foreach (var record in started)
        {
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                await Provider.ShutdownAsync(record, now: true, cts.Token);
            }
            catch (Exception) { /* best effort: the test already reported */ }
        }
        Root.Dispose();
    }
}
