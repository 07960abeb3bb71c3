using System.Diagnostics;
using JupyterKernels.Connections;
using JupyterKernels.Kernelspecs;
using JupyterKernels.Providers;
using JupyterKernels.Providers.Local;

namespace JupyterKernels.Bench.Harness;

/// <summary>
/// Shared state of one run: a private temp root (runtime dirs for our kernels and for the ones jupyter_client starts),
/// our <see cref="LocalKernelProvider"/> over the Debian python3 kernelspec, one shared kernel for the benchmarks
/// that compare clients against the same kernel, and tracking of everything started so it is all shut down at the
/// end — also on Ctrl+C and exceptions (and a /proc sweep for anything whose command line names our temp root).
/// </summary>
internal sealed class BenchContext : IAsyncDisposable
{
    public const string Python = "/usr/bin/python3";
    public const string KernelSpecDir = "/usr/share/jupyter/kernels";
    public const string SpecName = "python3";

    private readonly List<KernelRecord> _kernels = new();
    private readonly List<PythonHelper> _helpers = new();
    private KernelRecord? _shared;
    private readonly SemaphoreSlim _sharedGate = new(1, 1);

    public BenchContext(bool quick)
    {
        Quick = quick;
        Root = Path.Combine(Path.GetTempPath(), "jk-bench-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(PythonRuntimeDir);
        var env = new FixedJupyterEnvironment(JupyterPlatform.Linux, Root, new Dictionary<string, string>
        {
            ["JUPYTER_RUNTIME_DIR"] = Path.Combine(Root, "runtime"),
            ["JUPYTER_DATA_DIR"] = Path.Combine(Root, "data"),
        });
        Provider = new LocalKernelProvider(new JupyterPaths(env), new KernelSpecCatalog(new[] { KernelSpecDir }),
            ProcessJupyterEnvironment.Instance,
            new LocalProviderOptions { ShutdownWait = TimeSpan.FromSeconds(3), KillWait = TimeSpan.FromSeconds(5) });
        PythonDir = Path.Combine(AppContext.BaseDirectory, "python");
    }

    /// <summary>Smaller counts for a smoke run (numbers not meaningful).</summary>
    public bool Quick { get; }
    public string Root { get; }
    public string PythonRuntimeDir => Path.Combine(Root, "pyruntime");
    public string PythonDir { get; }
    public LocalKernelProvider Provider { get; }
    public static TimeSpan StartTimeout => TimeSpan.FromSeconds(120);

    public void Track(PythonHelper helper) { lock (_helpers) _helpers.Add(helper); }

    public Task<PythonHelper> StartHelperAsync(string script, CancellationToken ct) => PythonHelper.StartAsync(this, script, ct);

    /// <summary>Starts a kernel with our provider (timed by the caller) and tracks it for shutdown.</summary>
    public async Task<KernelRecord> StartKernelAsync(CancellationToken ct)
    {
        var id = Guid.NewGuid().ToString();
        var record = await Provider.StartKernelAsync(new KernelStartRequest { KernelId = id, SpecName = SpecName, StartTimeout = StartTimeout }, ct)
            .ConfigureAwait(false);
        lock (_kernels) _kernels.Add(record);
        return record;
    }

    public async Task ShutdownKernelAsync(KernelRecord record)
    {
        lock (_kernels) _kernels.Remove(record);
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await Provider.ShutdownAsync(record, now: true, cts.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"  warning: shutdown of kernel {record.Id} failed: {e.Message}");
        }
    }

    public Task ShutdownKernelsAsync(IEnumerable<KernelRecord> records) => Task.WhenAll(records.Select(ShutdownKernelAsync));

    /// <summary>One kernel shared by the benchmarks that compare clients against the same running kernel.</summary>
    public async Task<KernelRecord> GetSharedKernelAsync(CancellationToken ct)
    {
        await _sharedGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            return _shared ??= await StartKernelAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _sharedGate.Release();
        }
    }

    /// <summary>Connects one of our clients and waits until it is ready (kernel_info answered, IOPub proven).</summary>
    public async Task<KernelClient> ConnectAsync(KernelRecord record, CancellationToken ct)
    {
        var channels = await Provider.ConnectAsync(record, ct).ConfigureAwait(false);
        var client = new KernelClient(record.Id, channels, Provider.GetClientOptions(record));
        try
        {
            await client.WaitForReadyAsync(TimeSpan.FromSeconds(60), ct).ConfigureAwait(false);
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        PythonHelper[] helpers;
        lock (_helpers) { helpers = _helpers.ToArray(); _helpers.Clear(); }
        KernelRecord[] kernels;
        lock (_kernels) kernels = _kernels.ToArray();
        await Task.WhenAll(helpers.Select(h => h.DisposeAsync().AsTask())
            .Concat(kernels.Select(ShutdownKernelAsync))).ConfigureAwait(false);
        int swept = Sweep();
        if (swept > 0) Console.Error.WriteLine($"  cleanup: killed {swept} leftover process(es) that referenced {Root}");
        try { Directory.Delete(Root, recursive: true); } catch (Exception) { }
    }

    /// <summary>Synchronous last resort for process exit: kill helpers and anything naming our temp root.</summary>
    public void EmergencyCleanup()
    {
        PythonHelper[] helpers;
        lock (_helpers) helpers = _helpers.ToArray();
        foreach (var h in helpers) h.KillNow();
        Sweep();
    }

    /// <summary>Kills (by pid) every process whose command line contains our private temp root: kernels we or
    /// jupyter_client started whose owner did not shut them down. Returns how many.</summary>
    public int Sweep()
    {
        if (!OperatingSystem.IsLinux()) return 0;
        int killed = 0;
        int self = Environment.ProcessId;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid) || pid == self) continue;
            string cmdline;
            try { cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' '); }
            catch (Exception) { continue; }
            if (!cmdline.Contains(Root, StringComparison.Ordinal)) continue;
            try { using var p = Process.GetProcessById(pid); p.Kill(); killed++; } catch (Exception) { }
        }
        return killed;
    }
}
