using System.Diagnostics;
using JupyterKernels.Bench.Harness;
using JupyterKernels.Connections;
using JupyterKernels.Service;
using JupyterKernels.Providers.Local;

namespace JupyterKernels.Bench.Benchmarks;

/// <summary>
/// What recording activity (executions in flight, last_activity in the SQLite store) adds to the
/// Invoke-KernelCode round trip of `1`. Ours: KernelService.ExecuteAsync (records) consumed on a blocking thread as
/// Invoke-KernelCode does; reference: the same service's one connection, KernelClient.ExecuteAsync (records nothing),
/// consumed the same way. Same kernel, same connection, batches alternate.
/// </summary>
internal sealed class ActivityRecordingBenchmark : IBenchmark
{
    public string Name => "activity";
    public string Description => "Invoke-KernelCode round trip of `1` through the service (records activity) vs the bare client";

    public async Task<BenchOutcome> RunAsync(BenchContext ctx, CancellationToken ct)
    {
        int rounds = ctx.Quick ? 2 : 20, perRound = ctx.Quick ? 10 : 50, warmup = ctx.Quick ? 10 : 50;
        var record = await ctx.StartKernelAsync(ct);
        var storePath = Path.Combine(ctx.Root, "activity-bench.db");
        await using var service = new KernelService(new KernelServiceOptions { DatabasePath = storePath, LocalProvider = new LocalKernelProvider() });
        var store = await service.StoreAsync(ct);
        await store.AddKernelAsync(record, ct);
        var client = await service.GetClientAsync(record, ct);
        var options = new ExecuteOptions { Timeout = TimeSpan.FromSeconds(60) };

        double Through(Func<KernelExecution> start)
        {
            long t0 = Stopwatch.GetTimestamp();
            var exec = start();
            while (exec.WaitForOutputs(TimeSpan.FromMilliseconds(250), ct) != OutputWaitResult.Completed)
                while (exec.Outputs.TryRead(out _)) { }
            var reply = exec.Completion.GetAwaiter().GetResult();
            if (reply.Status != "ok") throw new InvalidOperationException("execute failed");
            return Stopwatch.GetElapsedTime(t0).TotalSeconds;
        }
        double ViaService() => Through(() => service.ExecuteAsync(record.Id, "1", options, ct).GetAwaiter().GetResult());
        double ViaClient() => Through(() => client.ExecuteAsync("1", options, ct).GetAwaiter().GetResult());

        var recorded = new List<double>();
        var bare = new List<double>();
        await Common.OnDedicatedThread(() =>
        {
            for (int i = 0; i < warmup; i++) { ViaService(); ViaClient(); }
            for (int round = 0; round < rounds; round++)
            {
                bool serviceFirst = round % 2 == 0;
                for (int pass = 0; pass < 2; pass++)
                {
                    bool service = serviceFirst == (pass == 0);
                    for (int i = 0; i < perRound; i++) (service ? recorded : bare).Add(service ? ViaService() : ViaClient());
                }
            }
        });
        Console.WriteLine($"  with recording {Stats.Median(recorded) * 1e3:0.000} ms, bare client {Stats.Median(bare) * 1e3:0.000} ms");
        var outcome = new BenchOutcome();
        outcome.Raw["recorded_ms"] = Stats.Summary(recorded, 1e3);
        outcome.Raw["bare_ms"] = Stats.Summary(bare, 1e3);
        outcome.Rows.Add(new ResultRow
        {
            Benchmark = "activity recording on the `1` round trip", Metric = "median", Unit = "ms",
            Ours = Stats.Median(recorded) * 1e3, Reference = Stats.Median(bare) * 1e3, ReferenceName = "same connection, KernelClient.ExecuteAsync (no recording)",
            TargetKind = TargetKind.RatioAtMost, Target = 1.05,
            Note = $"ipykernel, Invoke-KernelCode path (blocking consumer); {recorded.Count} samples per side in {rounds} alternating rounds; short executions move last_activity at most every 5 s per kernel and are recorded in flight only past 200 ms; p90 {Stats.P90(recorded) * 1e3:0.000} vs {Stats.P90(bare) * 1e3:0.000} ms",
        });
        await ctx.ShutdownKernelAsync(record);
        return outcome;
    }
}
