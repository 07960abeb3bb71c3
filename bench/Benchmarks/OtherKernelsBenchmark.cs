using System.Diagnostics;
using JupyterKernels.Bench.Harness;
using JupyterKernels.Connections;
using JupyterKernels.Kernelspecs;
using JupyterKernels.Providers.Local;
using JupyterKernels.Service;

namespace JupyterKernels.Bench.Benchmarks;

/// <summary>
/// IRkernel beside ipykernel, side by side in one run (interleaved), through the Service as the cmdlets use it, over an
/// isolated store: the first call from a fresh process (a new KernelService: new connection, readiness, execute `1`
/// until reply and idle; what the kernel answers on control comes from its record, learned at start) and the accuracy of
/// `-Timeout 1.5` on a cell that sleeps 30 s (until the timeout error is thrown, the kernel interrupted). The
/// reference is ipykernel: the ratios say how far IRkernel (no control channel, heartbeat silent while busy) is from it.
/// </summary>
internal sealed class OtherKernelsBenchmark : IBenchmark
{
    public string Name => "kernels";
    public string Description => "IRkernel vs ipykernel: first call from a fresh process, -Timeout 1.5 accuracy";

    public async Task<BenchOutcome> RunAsync(BenchContext ctx, CancellationToken ct)
    {
        int rounds = ctx.Quick ? 3 : 10;
        var root = Path.Combine(ctx.Root, "kernels");
        Directory.CreateDirectory(root);
        var vars = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>().ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? "");
        vars["JUPYTER_RUNTIME_DIR"] = Path.Combine(root, "runtime");
        vars["JUPYTER_DATA_DIR"] = Path.Combine(root, "data");
        vars["JUPYTER_CONFIG_DIR"] = Path.Combine(root, "config");
        var env = new FixedJupyterEnvironment(JupyterPlatform.Linux, root, vars);
        var paths = new JupyterPaths(env);
        KernelService NewService() => new(new KernelServiceOptions
        {
            DatabasePath = Path.Combine(root, "kernels.db"),
            Paths = paths,
            LocalProvider = new LocalKernelProvider(paths, new KernelSpecCatalog(paths.KernelSpecDirs), env),
            GetEnvironmentVariable = _ => null,
        });

        var specs = new[] { ("python3", "import time; time.sleep(30)"), ("ir", "Sys.sleep(30)") };
        var ids = new Dictionary<string, string>();
        await using (var starter = NewService())
            foreach (var (spec, _) in specs)
                ids[spec] = (await starter.StartKernelAsync(new StartKernelOptions { SpecName = spec }, null, ct)).Id;
        var first = specs.ToDictionary(s => s.Item1, _ => new List<double>());
        var timeout = specs.ToDictionary(s => s.Item1, _ => new List<double>());
        try
        {
            for (int round = 0; round < rounds; round++)
            {
                foreach (var (spec, sleep) in round % 2 == 0 ? specs : specs.Reverse())
                {
                    await using var fresh = NewService();
                    long t0 = Stopwatch.GetTimestamp();
                    var execution = await fresh.ExecuteAsync(ids[spec], "1", new ExecuteOptions(), ct);
                    await foreach (var _ in execution.Outputs.ReadAllAsync(ct)) { }
                    await execution.Completion;
                    first[spec].Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);

                    t0 = Stopwatch.GetTimestamp();
                    try
                    {
                        var slow = await fresh.ExecuteAsync(ids[spec], sleep, new ExecuteOptions { Timeout = TimeSpan.FromSeconds(1.5), InterruptOnCancel = true }, ct);
                        await foreach (var _ in slow.Outputs.ReadAllAsync(ct)) { }
                        await slow.Completion;
                        throw new InvalidOperationException($"{spec}: the 30 s cell did not time out");
                    }
                    catch (KernelException e) when (e.ErrorId is ErrorIds.ExecutionTimeout or ErrorIds.KernelNotResponding)
                    {
                        timeout[spec].Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
                    }
                }
            }
        }
        finally
        {
            await using var stopper = NewService();
            foreach (var id in ids.Values) { try { await stopper.StopKernelAsync(id, force: true, CancellationToken.None); } catch (KernelException) { } }
        }
        var load = string.Join(" ", MachineInfo.LoadAverage() ?? Array.Empty<double>());
        Console.WriteLine($"  first call: ipykernel {Stats.Median(first["python3"]) * 1e3:0} ms, IRkernel {Stats.Median(first["ir"]) * 1e3:0} ms; " +
                          $"-Timeout 1.5: ipykernel {Stats.Median(timeout["python3"]):0.00} s, IRkernel {Stats.Median(timeout["ir"]):0.00} s (load {load})");
        var outcome = new BenchOutcome();
        foreach (var spec in new[] { "python3", "ir" })
        {
            outcome.Raw[$"{spec}_first_call_ms"] = Stats.Summary(first[spec], 1e3);
            outcome.Raw[$"{spec}_timeout_1_5_s"] = Stats.Summary(timeout[spec], 1);
        }
        outcome.Rows.Add(new ResultRow
        {
            Benchmark = "IRkernel: first call from a fresh process", Metric = "median, new service each", Unit = "ms",
            Ours = Stats.Median(first["ir"]) * 1e3, Reference = Stats.Median(first["python3"]) * 1e3, ReferenceName = "the same on ipykernel",
            TargetKind = TargetKind.RatioAtMost, Target = 2,
            Note = $"{rounds} interleaved samples per kernel; connect + readiness + execute `1` until reply and idle; p90 IRkernel {Stats.P90(first["ir"]) * 1e3:0} ms, ipykernel {Stats.P90(first["python3"]) * 1e3:0} ms; load {load}",
        });
        outcome.Rows.Add(new ResultRow
        {
            Benchmark = "IRkernel: -Timeout 1.5 on a 30 s cell", Metric = "median until the timeout error", Unit = "s",
            Ours = Stats.Median(timeout["ir"]), Reference = Stats.Median(timeout["python3"]), ReferenceName = "the same on ipykernel",
            TargetKind = TargetKind.RatioAtMost, Target = 1.25,
            Note = $"{rounds} interleaved samples per kernel; includes the interrupt and the kernel's answer to it; p90 IRkernel {Stats.P90(timeout["ir"]):0.00} s, ipykernel {Stats.P90(timeout["python3"]):0.00} s; load {load}",
        });
        return outcome;
    }
}
