using System.Diagnostics;
using JupyterKernels.Bench.Harness;
using JupyterKernels.Providers;

namespace JupyterKernels.Bench.Benchmarks;

/// <summary>
/// Benchmark 6: N (20) local kernels started concurrently, each then running one cell (`1`); wall time until every
/// cell is done. Ours: Task.WhenAll of StartKernelAsync → connect a ready client → ExecuteAsync. Reference:
/// jupyter_client AsyncKernelManager, asyncio.gather of start_kernel → client → wait_for_ready → execute_interactive.
/// Kernels are shut down (untimed) between the two.
/// </summary>
public sealed class ConcurrentStartBenchmark : IBenchmark
{
    public string Name => "concurrent";
    public string Description => "20 kernels started concurrently + one cell each: ours vs jupyter_client AsyncKernelManager";

    public async Task<BenchOutcome> RunAsync(BenchContext ctx, CancellationToken ct)
    {
        int n = ctx.Quick ? 4 : 20;
        await using var py = await ctx.StartHelperAsync("startup.py", ct);
        // Ours first, then the reference (each alone on the machine: 40 kernels at once would measure swapping).
        var started = new List<KernelRecord>();
        var failures = new List<string>();
        double ours;
        int oursOk = 0;
        try
        {
            long t0 = Stopwatch.GetTimestamp();
            await Task.WhenAll(Enumerable.Range(0, n).Select(async _ =>
            {
                // A failing start is recorded, not thrown: the row reports how many of the n made it and why not.
                try
                {
                    var record = await ctx.StartKernelAsync(ct);
                    lock (started) started.Add(record);
                    await using var client = await ctx.ConnectAsync(record, ct);
                    await Common.RunAsync(client, "1", ct);
                    Interlocked.Increment(ref oursOk);
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    lock (failures) failures.Add($"{e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
                }
            }));
            ours = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        }
        finally
        {
            await ctx.ShutdownKernelsAsync(started);
        }
        foreach (var f in failures.Distinct()) Console.WriteLine($"  ours: start/cell failed: {f}");
        Console.WriteLine($"  ours: {n} kernels + cells in {ours:0.00} s");
        await Task.Delay(2000, ct); // let the machine settle after the shutdowns
        var r = await py.CallAsync("concurrent", new { n, kernel_name = BenchContext.SpecName, code = "1", timeout = 240 }, TimeSpan.FromMinutes(5), ct);
        double jc = r["seconds"]!.GetValue<double>();
        int jcOk = r["succeeded"]!.GetValue<int>();
        Console.WriteLine($"  jupyter_client: {n} kernels + cells in {jc:0.00} s");
        var outcome = new BenchOutcome();
        outcome.Raw["n"] = n;
        outcome.Raw["ours_seconds"] = ours;
        outcome.Raw["ours_cells_ok"] = oursOk;
        outcome.Raw["ours_failures"] = failures;
        outcome.Raw["jupyter_client_seconds"] = jc;
        outcome.Raw["jupyter_client_cells_ok"] = jcOk;
        outcome.Rows.Add(new ResultRow
        {
            Benchmark = $"{n} concurrent starts + 1 cell each",
            Metric = oursOk < n || jcOk < n ? $"wall time (INVALID: ours {n - oursOk}/{n} failed, jupyter_client {n - jcOk}/{n} failed)" : "wall time", Unit = "s",
            Ours = ours, Reference = jc, ReferenceName = "AsyncKernelManager + gather",
            TargetKind = TargetKind.RatioAtMost, Target = 1.0,
            MetOverride = oursOk < n || jcOk < n ? false : null,
            Note = $"one run each (ours first); cells ok: ours {oursOk}/{n}, jupyter_client {jcOk}/{n}; dominated by {n} Python processes importing ipykernel on {Environment.ProcessorCount} cores" +
                   (failures.Count > 0 ? $"; OUR FAILURES: {string.Join(" | ", failures.Distinct())}" : ""),
        });
        return outcome;
    }
}
