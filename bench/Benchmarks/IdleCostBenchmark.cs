using System.Diagnostics;
using JupyterKernels.Bench.Harness;
using JupyterKernels.Connections;
using JupyterKernels.Providers;
using JupyterKernels.Providers.Local;

namespace JupyterKernels.Bench.Benchmarks;

/// <summary>
/// Benchmark 5: the cost of holding N idle connected kernels. Measures one ipykernel's RSS first and picks N = 50
/// when 50 kernels fit comfortably in available memory (else 20, and the table says so). Ours: managed heap growth
/// (GC.GetTotalMemory(true)) and RSS growth per connected KernelClient, and this process's CPU time over 10 s of
/// idling (no busy polling expected). Reference: N jupyter_client BlockingKernelClients on the same kernels (RSS
/// growth per client, CPU over the same 10 s), measured after ours, one side connected at a time.
/// </summary>
internal sealed class IdleCostBenchmark : IBenchmark
{
    public string Name => "idle";
    public string Description => "hold N idle connected kernels: our managed memory per kernel and idle CPU, vs jupyter_client clients";

    public async Task<BenchOutcome> RunAsync(BenchContext ctx, CancellationToken ct)
    {
        var outcome = new BenchOutcome();
        double idleSeconds = ctx.Quick ? 3 : 10;
        var kernels = new List<KernelRecord>();
        try
        {
            var first = await ctx.StartKernelAsync(ct);
            kernels.Add(first);
            await Task.Delay(1000, ct);
            long kernelRss = LocalKernelData.Of(first).Pid is { } pid ? MachineInfo.RssBytes(pid) : 0;
            long available = MachineInfo.ReadMemInfoKiB("MemAvailable") * 1024;
            int n = ctx.Quick ? 5 : (kernelRss > 0 && 50L * kernelRss < available / 2 ? 50 : 20);
            Console.WriteLine($"  one ipykernel: {kernelRss / 1048576.0:0.0} MiB RSS; {available / 1048576.0:0} MiB available -> N = {n}");
            outcome.Raw["ipykernel_rss_mib"] = kernelRss / 1048576.0;
            outcome.Raw["memory_available_mib"] = available / 1048576.0;
            outcome.Raw["n"] = n;

            // Start the rest in small batches: n at once on a small machine only measures contention.
            var sw = Stopwatch.StartNew();
            while (kernels.Count < n)
            {
                int batch = Math.Min(5, n - kernels.Count);
                var records = await Task.WhenAll(Enumerable.Range(0, batch).Select(_ => ctx.StartKernelAsync(ct)));
                kernels.AddRange(records);
            }
            Console.WriteLine($"  {n} kernels running ({sw.Elapsed.TotalSeconds:0.0} s to start the rest)");
            outcome.Raw["start_all_seconds"] = sw.Elapsed.TotalSeconds;

            // Warm code paths (JIT, pools) with one client so the per-kernel numbers are steady-state.
            await using (var warm = await ctx.ConnectAsync(first, ct)) await Common.RunAsync(warm, "1", ct);
            var self = Process.GetCurrentProcess();
            Settle();
            long heapBefore = GC.GetTotalMemory(true);
            self.Refresh();
            long rssBefore = self.WorkingSet64;
            int threadsBefore = self.Threads.Count;

            var clients = new List<KernelClient>();
            try
            {
                foreach (var k in kernels) clients.Add(await ctx.ConnectAsync(k, ct));
                Settle();
                long heapAfter = GC.GetTotalMemory(true);
                self.Refresh();
                long rssAfter = self.WorkingSet64;
                int threadsAfter = self.Threads.Count;
                await Task.Delay(1000, ct);
                self.Refresh();
                var cpu0 = self.TotalProcessorTime;
                long t0 = Stopwatch.GetTimestamp();
                await Task.Delay(TimeSpan.FromSeconds(idleSeconds), ct);
                self.Refresh();
                double cpuMs = (self.TotalProcessorTime - cpu0).TotalMilliseconds;
                double wall = Stopwatch.GetElapsedTime(t0).TotalSeconds;
                // Still alive and usable after idling?
                await Common.RunAsync(clients[^1], "1", ct);

                outcome.Raw["ours_heap_before"] = heapBefore;
                outcome.Raw["ours_heap_after"] = heapAfter;
                outcome.Raw["ours_rss_before"] = rssBefore;
                outcome.Raw["ours_rss_after"] = rssAfter;
                outcome.Raw["ours_threads_before"] = threadsBefore;
                outcome.Raw["ours_threads_after"] = threadsAfter;
                outcome.Raw["ours_idle_cpu_ms"] = cpuMs;
                outcome.Raw["ours_idle_wall_s"] = wall;
                double heapPer = (heapAfter - heapBefore) / (double)n / 1024;
                double rssPer = (rssAfter - rssBefore) / (double)n / 1024;
                outcome.Rows.Add(new ResultRow
                {
                    Benchmark = $"idle: {n} connected kernels", Metric = "our managed heap per kernel", Unit = "KiB",
                    Ours = heapPer, TargetKind = TargetKind.ValueAtMost, Target = 1024,
                    Note = $"GC.GetTotalMemory(true) before/after connecting {n} ready KernelClients; one ipykernel is {kernelRss / 1048576.0:0} MiB RSS" +
                           (n < 50 ? $"; N = {n} (50 did not fit comfortably), per-kernel figures extrapolate linearly" : ""),
                });
                outcome.Rows.Add(new ResultRow
                {
                    Benchmark = $"idle: {n} connected kernels", Metric = "process RSS growth per kernel", Unit = "KiB",
                    Ours = rssPer, ReferenceName = "BlockingKernelClient", TargetKind = TargetKind.None,
                    Note = $"threads {threadsBefore} → {threadsAfter}",
                });
                outcome.Rows.Add(new ResultRow
                {
                    Benchmark = $"idle: {n} connected kernels", Metric = $"process CPU over {idleSeconds:0} s idle", Unit = "ms",
                    Ours = cpuMs, ReferenceName = "BlockingKernelClient", TargetKind = TargetKind.ValueAtMost, Target = 50,
                    Note = "target: ≤ 50 ms per 10 s (0.5% of one core), i.e. no busy polling; whole bench process, incl. runtime/GC threads",
                });
            }
            finally
            {
                await Task.WhenAll(clients.Select(c => c.DisposeAsync().AsTask()));
            }

            await using var py = await ctx.StartHelperAsync("idle.py", ct);
            var r = await py.CallAsync("idle", new { connection_files = kernels.Select(k => LocalKernelData.Of(k).ConnectionFile).ToArray(), seconds = idleSeconds },
                TimeSpan.FromMinutes(5), ct);
            double refRssPer = (r["rss_after"]!.GetValue<long>() - r["rss_before"]!.GetValue<long>()) / (double)n / 1024;
            double refCpuMs = r["cpu_seconds"]!.GetValue<double>() * 1000;
            outcome.Raw["jupyter_client"] = r.ToJsonString();
            outcome.Rows[1] = outcome.Rows[1] with { Reference = refRssPer };
            outcome.Rows[2] = outcome.Rows[2] with { Reference = refCpuMs };
        }
        finally
        {
            await ctx.ShutdownKernelsAsync(kernels);
        }
        return outcome;
    }

    private static void Settle()
    {
        for (int i = 0; i < 3; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
    }
}
