using System.Diagnostics;
using JupyterKernels.Bench.Harness;

namespace JupyterKernels.Bench.Benchmarks;

/// <summary>
/// Benchmark 2: start-to-ready of one ipykernel. Ours: LocalKernelProvider.StartKernelAsync (spawn + readiness by
/// kernel_info and IOPub), and the same plus connecting a ready client (the fair equivalent of start_new_kernel,
/// which returns a ready client). Reference: jupyter_client start_new_kernel (start + client + wait_for_ready).
/// Interleaved, each kernel shut down (untimed) before the next start.
/// </summary>
internal sealed class StartToReadyBenchmark : IBenchmark
{
    public string Name => "start";
    public string Description => "kernel start-to-ready: ours (StartKernelAsync, + ready client) vs jupyter_client start_new_kernel";

    public async Task<BenchOutcome> RunAsync(BenchContext ctx, CancellationToken ct)
    {
        int reps = ctx.Quick ? 2 : 5;
        await using var py = await ctx.StartHelperAsync("startup.py", ct);
        var ready = new List<double>();
        var withClient = new List<double>();
        var jc = new List<double>();
        // Warm-up (untimed): loads Python's and our code paths and the OS page cache for ipykernel's imports.
        {
            var k = await ctx.StartKernelAsync(ct);
            await ctx.ShutdownKernelAsync(k);
            await py.CallAsync("start_new_kernel", new { kernel_name = BenchContext.SpecName, timeout = 120 }, TimeSpan.FromMinutes(3), ct);
        }
        for (int rep = 0; rep < reps; rep++)
        {
            for (int k = 0; k < 2; k++)
            {
                if ((rep + k) % 2 == 0)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    var record = await ctx.StartKernelAsync(ct);
                    ready.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
                    await using (var client = await ctx.ConnectAsync(record, ct))
                        withClient.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
                    await ctx.ShutdownKernelAsync(record);
                }
                else
                {
                    var r = await py.CallAsync("start_new_kernel", new { kernel_name = BenchContext.SpecName, timeout = 120 }, TimeSpan.FromMinutes(3), ct);
                    jc.Add(r["seconds"]!.GetValue<double>());
                }
            }
            Console.WriteLine($"  rep {rep + 1}/{reps}: ours {ready[^1]:0.000} s (+client {withClient[^1]:0.000} s), start_new_kernel {jc[^1]:0.000} s");
        }
        var outcome = new BenchOutcome();
        outcome.Raw["ours_start_seconds"] = ready;
        outcome.Raw["ours_start_plus_ready_client_seconds"] = withClient;
        outcome.Raw["jupyter_client_start_new_kernel_seconds"] = jc;
        outcome.Rows.Add(new ResultRow
        {
            Benchmark = "start-to-ready", Metric = "median StartKernelAsync", Unit = "s",
            Ours = Stats.Median(ready), Reference = Stats.Median(jc), ReferenceName = "start_new_kernel",
            TargetKind = TargetKind.RatioAtMost, Target = 1.0,
            Note = $"{reps} interleaved starts each after one untimed warm-up start; start_new_kernel's wait_for_ready ends with a 0.2 s IOPub flush (jupyter_client 7.x)",
        });
        outcome.Rows.Add(new ResultRow
        {
            Benchmark = "start-to-ready", Metric = "median StartKernelAsync + ready client", Unit = "s",
            Ours = Stats.Median(withClient), Reference = Stats.Median(jc), ReferenceName = "start_new_kernel",
            TargetKind = TargetKind.RatioAtMost, Target = 1.0,
        });
        return outcome;
    }
}
