using System.Diagnostics;
using JupyterKernels.Bench.Harness;
using JupyterKernels.Providers.Local;

namespace JupyterKernels.Bench.Benchmarks;

/// <summary>
/// Benchmark 1: execute round trip of <c>1</c> against ONE running ipykernel (started by our provider): (a) our
/// KernelClient consumed as Invoke-KernelCode consumes it (a thread of its own blocks for outputs and completion),
/// (b) the same client consumed with <c>await</c> (the async API), (c) jupyter_client execute_interactive, (d) a bare
/// pyzmq loop (the floor: DEALER + SUB, hand-signed request, wait for execute_reply AND idle), (e) the same bare loop
/// on NetMQ in this process (<see cref="NetMQBareClient"/>), with this process's CPU time per round trip beside ours
/// (the README's "why not NetMQ" figures). The five are
/// interleaved in rounds (order rotating) and only one client is connected at a time, so machine load hits all alike.
/// </summary>
internal sealed class RoundTripBenchmark : IBenchmark
{
    public string Name => "roundtrip";
    public string Description => "execute round trip of `1`: ours vs jupyter_client execute_interactive vs bare pyzmq floor (same kernel)";

    public async Task<BenchOutcome> RunAsync(BenchContext ctx, CancellationToken ct)
    {
        int rounds = ctx.Quick ? 2 : 20, perRound = ctx.Quick ? 20 : 25, warmup = ctx.Quick ? 5 : 10;
        var kernel = await ctx.GetSharedKernelAsync(ct);
        await using var py = await ctx.StartHelperAsync("roundtrip.py", ct);
        var ours = new List<double>();
        var oursAwait = new List<double>();
        var jc = new List<double>();
        var bare = new List<double>();
        var netmq = new List<double>();
        double oursCpu = 0, netmqCpu = 0, bareCpu = 0;
        int oursCpuN = 0, netmqCpuN = 0, bareCpuN = 0;
        var contenders = new (string Name, Func<Task> Run)[]
        {
            ("ours", async () =>
            {
                await using var client = await ctx.ConnectAsync(kernel, ct);
                await Common.OnDedicatedThread(() =>
                {
                    for (int i = 0; i < warmup; i++) Common.RunBlocking(client, "1", ct);
                    var cpu0 = ProcessCpu.Now();
                    for (int i = 0; i < perRound; i++)
                    {
                        long t0 = Stopwatch.GetTimestamp();
                        Common.RunBlocking(client, "1", ct);
                        ours.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
                    }
                    oursCpu += (ProcessCpu.Now() - cpu0).TotalSeconds;
                    oursCpuN += perRound;
                });
            }),
            ("ours (await)", async () =>
            {
                await using var client = await ctx.ConnectAsync(kernel, ct);
                for (int i = 0; i < warmup; i++) await Common.RunAsync(client, "1", ct);
                for (int i = 0; i < perRound; i++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    await Common.RunAsync(client, "1", ct);
                    oursAwait.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
                }
            }),
            ("jupyter_client", async () =>
            {
                var r = await py.CallAsync("jc", new { connection_file = LocalKernelData.Of(kernel).ConnectionFile, code = "1", warmup, n = perRound }, TimeSpan.FromMinutes(3), ct);
                jc.AddRange(Common.Doubles(r["seconds"]));
            }),
            ("bare", async () =>
            {
                var r = await py.CallAsync("bare", new { connection_file = LocalKernelData.Of(kernel).ConnectionFile, code = "1", warmup, n = perRound }, TimeSpan.FromMinutes(3), ct);
                bare.AddRange(Common.Doubles(r["seconds"]));
                bareCpu += r["cpu_seconds"]!.GetValue<double>();
                bareCpuN += perRound;
            }),
            ("netmq", () =>
            {
                var client = new NetMQBareClient(LocalKernelData.Of(kernel).ConnectionFile!);
                netmq.AddRange(client.Run("1", warmup, perRound, TimeSpan.FromMinutes(3)));
                netmqCpu += client.TimedCpu.TotalSeconds;
                netmqCpuN += perRound;
                return Task.CompletedTask;
            }),
        };
        for (int round = 0; round < rounds; round++)
        {
            for (int k = 0; k < contenders.Length; k++)
            {
                var c = contenders[(round + k) % contenders.Length];
                await c.Run();
            }
            if ((round + 1) % 5 == 0) Console.WriteLine($"  round {round + 1}/{rounds}: median ours {Stats.Median(ours) * 1e3:0.000} ms, ours (await) {Stats.Median(oursAwait) * 1e3:0.000} ms, jupyter_client {Stats.Median(jc) * 1e3:0.000} ms, bare {Stats.Median(bare) * 1e3:0.000} ms, netmq {Stats.Median(netmq) * 1e3:0.000} ms");
        }

        var outcome = new BenchOutcome();
        outcome.Raw["iterations_per_contender"] = ours.Count;
        outcome.Raw["rounds"] = rounds;
        outcome.Raw["warmup_per_round"] = warmup;
        outcome.Raw["ours_ms"] = Stats.Summary(ours, 1e3);
        outcome.Raw["ours_await_ms"] = Stats.Summary(oursAwait, 1e3);
        outcome.Raw["jupyter_client_ms"] = Stats.Summary(jc, 1e3);
        outcome.Raw["bare_pyzmq_ms"] = Stats.Summary(bare, 1e3);
        outcome.Raw["netmq_bare_ms"] = Stats.Summary(netmq, 1e3);
        double oursCpuUs = oursCpu / oursCpuN * 1e6, netmqCpuUs = netmqCpu / netmqCpuN * 1e6, bareCpuUs = bareCpu / bareCpuN * 1e6;
        outcome.Raw["cpu_us_per_roundtrip"] = new Dictionary<string, double> { ["ours"] = oursCpuUs, ["netmq_bare"] = netmqCpuUs, ["pyzmq_bare_python_process"] = bareCpuUs };
        double ma = Stats.Median(oursAwait) * 1e3;
        double mo = Stats.Median(ours) * 1e3, mj = Stats.Median(jc) * 1e3, mb = Stats.Median(bare) * 1e3;
        outcome.Rows.Add(new ResultRow
        {
            Benchmark = "execute `1` round trip", Metric = "median vs bare pyzmq floor", Unit = "ms",
            Ours = mo, Reference = mb, ReferenceName = "bare pyzmq", TargetKind = TargetKind.RatioAtMost, Target = 1.05,
            Note = $"ours = the Invoke-KernelCode path (a thread of its own blocks for outputs and completion, as a pipeline thread does); " +
                   $"{ours.Count} iterations each in {rounds} interleaved rounds; p90 ours {Stats.P90(ours) * 1e3:0.000} ms, ours (await) {Stats.P90(oursAwait) * 1e3:0.000} ms, bare {Stats.P90(bare) * 1e3:0.000} ms, jupyter_client {Stats.P90(jc) * 1e3:0.000} ms; " +
                   $"min ours {ours.Min() * 1e3:0.000} ms, ours (await) {oursAwait.Min() * 1e3:0.000} ms, bare {bare.Min() * 1e3:0.000} ms, jupyter_client {jc.Min() * 1e3:0.000} ms (under load the minimum is the least noisy view)",
        });
        outcome.Rows.Add(new ResultRow
        {
            Benchmark = "execute `1` round trip", Metric = "median vs jupyter_client", Unit = "ms",
            Ours = mo, Reference = mj, ReferenceName = "execute_interactive", TargetKind = TargetKind.RatioAtMost, Target = 0.8,
        });
        outcome.Rows.Add(new ResultRow
        {
            Benchmark = "execute `1` round trip", Metric = "median, async API (await) vs bare pyzmq floor", Unit = "ms",
            Ours = ma, Reference = mb, ReferenceName = "bare pyzmq",
            Note = "informational: the same client consumed with await (ReadAllAsync + await Completion), which resumes the caller on the thread pool per output and at completion",
        });
        outcome.Rows.Add(new ResultRow
        {
            Benchmark = "execute `1` round trip", Metric = "median, async API (await) vs jupyter_client", Unit = "ms",
            Ours = ma, Reference = mj, ReferenceName = "execute_interactive",
        });
        double mn = Stats.Median(netmq) * 1e3;
        outcome.Rows.Add(new ResultRow
        {
            Benchmark = "execute `1` round trip", Metric = "median vs bare NetMQ loop", Unit = "ms",
            Ours = mo, Reference = mn, ReferenceName = "NetMQ 4.0.4.5 DEALER+SUB",
            Note = $"informational (the README's 'why not NetMQ'): the bare floor loop on NetMQ in this process, one poller thread; p90 NetMQ {Stats.P90(netmq) * 1e3:0.000} ms, min {netmq.Min() * 1e3:0.000} ms",
        });
        outcome.Rows.Add(new ResultRow
        {
            Benchmark = "execute `1` round trip", Metric = "client CPU per round trip vs bare NetMQ loop", Unit = "µs",
            Ours = oursCpuUs, Reference = netmqCpuUs, ReferenceName = "NetMQ 4.0.4.5 DEALER+SUB", TargetKind = TargetKind.RatioAtMost, Target = 0.3,
            Note = $"this process's CPU time (all threads) over the timed round trips / round trips, ours = the Invoke-KernelCode path; bare pyzmq's Python process (libzmq I/O thread included) {bareCpuUs:0} µs",
        });
        return outcome;
    }
}
