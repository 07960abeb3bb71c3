using System.Diagnostics;
using System.Globalization;
using JupyterKernels.Bench.Harness;
using JupyterKernels.Connections;
using JupyterKernels.LoadPeer;

namespace JupyterKernels.Bench.Benchmarks;

/// <summary>
/// Scale: N kernels (default 1,000; JK_BENCH_SCALE_KERNELS, 100 with --quick) served by the NetMQ load peer
/// (tests/LoadPeer, one process), all connected from this process with our KernelClient through their connection
/// files, as the product connects a local kernel. Measures the time to connect all, the transport's threads (peak of
/// /proc/self/task, by name), this process's CPU while all sit idle for 10 s, the managed heap per kernel, then rounds
/// of 200 concurrent executes spread over 100 kernels (every reply checked: value, kernel, execution count), their wall
/// time against the same 200 executes through jupyter_client's AsyncKernelClient (one per kernel) with asyncio.gather
/// on the same peer (bench/python/concurrent_execute.py), rounds alternating. If connecting fails part way (e.g. no more threads), it goes on
/// with the kernels it has and says so.
/// </summary>
internal sealed class ScaleBenchmark : IBenchmark
{
    public string Name => "scale";
    public string Description => "1,000 kernels on the load peer in one process: connect time, transport threads, idle CPU, heap/kernel, 200 concurrent executes";

    private const int Wave = 100;
    private static readonly TimeSpan IdleWindow = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan SettleWindow = TimeSpan.FromSeconds(5);

    public async Task<BenchOutcome> RunAsync(BenchContext ctx, CancellationToken ct)
    {
        int kernels = Environment.GetEnvironmentVariable("JK_BENCH_SCALE_KERNELS") is { Length: > 0 } env
            ? int.Parse(env, CultureInfo.InvariantCulture) : ctx.Quick ? 100 : 1000;
        int spread = Math.Min(100, kernels), concurrent = 200, rounds = ctx.Quick ? 2 : 5;
        var outcome = new BenchOutcome();

        await using var peer = await LoadPeerProcess.StartAsync(kernels, TimeSpan.FromMinutes(3), ct);
        var before = ThreadCensus.Take();
        await using var sampler = new ThreadPeakSampler(TimeSpan.FromMilliseconds(200));
        sampler.Observe(before);
        long heapBefore = GC.GetTotalMemory(forceFullCollection: true);

        // The same process idle before any client connects (load peer up, sampler paused): what the runtime and this
        // harness cost on their own, measured like the idle window below, so the connections' own cost can be told apart.
        sampler.Paused = true;
        await Task.Delay(SettleWindow, ct);
        double baselineCpuMs = await IdleCpuMsAsync(ct);
        sampler.Paused = false;
        Console.WriteLine($"  idle {IdleWindow.TotalSeconds:0} s before connecting: {baselineCpuMs:0.0} ms CPU");

        var clients = new List<KernelClient>(kernels);
        string? shortfall = null;
        try
        {
            long t0 = Stopwatch.GetTimestamp();
            for (int start = 0; start < kernels && shortfall is null; start += Wave)
            {
                var wave = peer.ConnectionFiles.Skip(start).Take(Wave).Select(f => ConnectAsync(f, ct)).ToList();
                try { await Task.WhenAll(wave); }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    shortfall = $"connecting kernel {start + wave.FindIndex(t => t.IsFaulted)} failed ({e.GetType().Name}: {e.Message}); measured with the kernels connected before it";
                    Console.WriteLine($"  {shortfall}");
                }
                clients.AddRange(wave.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result));
            }
            double connectSeconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            var afterConnect = ThreadCensus.Take();
            sampler.Observe(afterConnect);
            long heapAfter = GC.GetTotalMemory(forceFullCollection: true);
            Console.WriteLine($"  connected {clients.Count}/{kernels} in {connectSeconds:0.00} s; threads {before.Total} → {afterConnect.Total} (transport {afterConnect.Transport})");
            if (clients.Count == 0) throw new InvalidOperationException(shortfall ?? "no kernel connected");

            // Idle: everything connected, nothing asked. Sampling /proc costs CPU, so only a census at each end.
            sampler.Paused = true;
            var process = Process.GetCurrentProcess();
            // Settle first: connecting a thousand clients leaves the runtime's own after-work (tier-1 recompiles of the
            // methods the connects made hot, finalizers, the GC above) for the next seconds; that is the cost of
            // connecting, not of sitting idle. The settle window's CPU is printed so nothing is hidden.
            process.Refresh();
            var settle0 = process.TotalProcessorTime;
            await Task.Delay(SettleWindow, ct);
            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            Console.WriteLine($"  settle {SettleWindow.TotalSeconds:0} s after connecting: {(cpu0 - settle0).TotalMilliseconds:0.0} ms CPU (not counted as idle)");
            await Task.Delay(IdleWindow, ct);
            process.Refresh();
            double idleCpuMs = (process.TotalProcessorTime - cpu0).TotalMilliseconds * (10.0 / IdleWindow.TotalSeconds);
            double attributableCpuMs = Math.Max(0, idleCpuMs - baselineCpuMs);
            var afterIdle = ThreadCensus.Take();
            sampler.Observe(afterIdle);
            sampler.Paused = false;
            Console.WriteLine($"  idle {IdleWindow.TotalSeconds:0} s: {idleCpuMs:0.0} ms CPU; threads {afterIdle.Total} (transport {afterIdle.Transport})");

            // Single-kernel round trip on the same peer, then rounds of 200 concurrent over `spread` kernels.
            var single = new List<double>();
            for (int i = 0; i < 10; i++) await Common.RunAsync(clients[0], "1", ct);
            var counts = new int[clients.Count];
            counts[0] = 10;
            bool countsUnknown = false;
            var concurrentLatencies = new List<double>();
            var oursWall = new List<double>();
            var jcWall = new List<double>();
            int wrong = 0, checkedReplies = 0, jcWrong = 0;
            string? firstWrong = null, jcFirstWrong = null, jcFailure = null;
            int usedSpread = Math.Min(spread, clients.Count);
            // The reference: the same executes over the same kernels through jupyter_client's AsyncKernelClient with
            // asyncio.gather (connected untimed, before the rounds). A reference that cannot connect or fails a round
            // is reported as failed; our rows stand.
            PythonHelper? jc = null;
            try
            {
                jc = await ctx.StartHelperAsync("concurrent_execute.py", ct);
                await jc.CallAsync("connect", new { connection_files = peer.ConnectionFiles.Take(usedSpread).ToArray() }, TimeSpan.FromMinutes(3), ct);
            }
            catch (Exception e) when (e is TimeoutException or InvalidOperationException && !ct.IsCancellationRequested)
            {
                jcFailure = $"jupyter_client could not connect: {e.Message.Split('\n', 2)[0]}";
                Console.WriteLine($"  {jcFailure}");
            }
            for (int round = 0; round < rounds; round++)
            {
                for (int i = 0; i < 20; i++)
                {
                    long s0 = Stopwatch.GetTimestamp();
                    await Common.RunAsync(clients[0], "1", ct);
                    single.Add(Stopwatch.GetElapsedTime(s0).TotalSeconds);
                }
                counts[0] += 20;
                // Ours and the reference alternate which goes first, so drift in the machine's load hits both.
                if (round % 2 == 1) await ReferenceRoundAsync(round);
                long b0 = Stopwatch.GetTimestamp();
                var batch = Enumerable.Range(0, concurrent).Select(i => ExecuteCheckedAsync(clients[i % usedSpread], i % usedSpread, round * concurrent + i, ct)).ToList();
                var results = await Task.WhenAll(batch);
                oursWall.Add(Stopwatch.GetElapsedTime(b0).TotalSeconds);
                foreach (var r in results)
                {
                    checkedReplies++;
                    concurrentLatencies.Add(r.Seconds);
                    if (r.Problem is not null) { wrong++; firstWrong ??= r.Problem; }
                }
                // Execution counts: each kernel must have counted exactly the executes sent to it, in some order.
                foreach (var group in results.GroupBy(r => r.Kernel))
                {
                    var seen = group.Select(r => r.ExecutionCount ?? -1).OrderBy(c => c).ToList();
                    var expected = Enumerable.Range(counts[group.Key] + 1, seen.Count).ToList();
                    if (countsUnknown) { counts[group.Key] = seen.LastOrDefault(); continue; }
                    if (!seen.SequenceEqual(expected)) { wrong++; firstWrong ??= $"kernel {group.Key}: execution counts {string.Join(",", seen)}, expected {string.Join(",", expected)}"; }
                    counts[group.Key] += seen.Count;
                }
                if (round % 2 == 0) await ReferenceRoundAsync(round);
                Console.WriteLine($"  round {round + 1}/{rounds}: single median {Stats.Median(single) * 1e3:0.000} ms, {concurrent} concurrent p50 {Stats.Median(concurrentLatencies) * 1e3:0.000} ms, wall ours {oursWall[^1] * 1e3:0.0} ms, jupyter_client {(jcWall.Count > 0 ? $"{jcWall[^1] * 1e3:0.0} ms" : "-")}, wrong {wrong}");
            }
            if (jc is not null) await jc.DisposeAsync();

            // One reference round: its executes also count on the peer's kernels, so ours' expected counts move too.
            async Task ReferenceRoundAsync(int round)
            {
                if (jc is null || jcFailure is not null) return;
                try
                {
                    var r = await jc.CallAsync("round", new { n = concurrent, first_request = 1_000_000 + round * concurrent }, TimeSpan.FromMinutes(2), ct);
                    jcWall.Add(r["seconds"]!.GetValue<double>());
                    var executed = r["executes"]!.AsArray().Select(x => x!.GetValue<int>()).ToArray();
                    for (int k = 0; k < executed.Length; k++) counts[k] += executed[k];
                    int w = r["wrong"]!.GetValue<int>();
                    jcWrong += w;
                    if (w > 0) jcFirstWrong ??= (string?)r["first_wrong"];
                }
                catch (Exception e) when (e is TimeoutException or InvalidOperationException && !ct.IsCancellationRequested)
                {
                    // The peer's execution counts are unknown after a round that failed part way: the reference stops,
                    // and ours' count check continues from what the peer reports next.
                    jcFailure = $"jupyter_client failed in round {round + 1}: {e.Message.Split('\n', 2)[0]}";
                    Console.WriteLine($"  {jcFailure}");
                    countsUnknown = true;
                }
            }

            int peakTransport = sampler.PeakTransport;
            outcome.Raw["kernels_requested"] = kernels;
            outcome.Raw["kernels_connected"] = clients.Count;
            outcome.Raw["shortfall"] = shortfall;
            outcome.Raw["connect_seconds"] = connectSeconds;
            outcome.Raw["threads"] = new Dictionary<string, int>
            {
                ["before"] = before.Total, ["after_connect"] = afterConnect.Total, ["after_idle"] = afterIdle.Total, ["peak"] = sampler.PeakTotal,
                ["transport_after_connect"] = afterConnect.Transport, ["transport_after_idle"] = afterIdle.Transport, ["transport_peak"] = peakTransport,
            };
            outcome.Raw["idle_cpu_ms_per_10s"] = idleCpuMs;
            outcome.Raw["heap_bytes_before"] = heapBefore;
            outcome.Raw["heap_bytes_after_connect"] = heapAfter;
            outcome.Raw["single_ms"] = Stats.Summary(single, 1e3);
            outcome.Raw["concurrent_ms"] = Stats.Summary(concurrentLatencies, 1e3);
            outcome.Raw["concurrent_wall_ms"] = oursWall.Select(x => x * 1e3).ToArray();
            outcome.Raw["jupyter_client_concurrent_wall_ms"] = jcWall.Select(x => x * 1e3).ToArray();
            outcome.Raw["jupyter_client_wrong"] = jcWrong;
            outcome.Raw["jupyter_client_failure"] = jcFailure;
            outcome.Raw["replies_checked"] = checkedReplies;
            outcome.Raw["replies_wrong"] = wrong;
            outcome.Raw["first_wrong"] = firstWrong;

            string n = clients.Count.ToString("#,0", CultureInfo.InvariantCulture);
            string partial = shortfall is null ? "" : $" ONLY {n} OF {kernels:#,0}: {shortfall}";
            outcome.Rows.Add(new ResultRow
            {
                Benchmark = "scale (load peer)", Metric = $"connect {n} kernels", Unit = "s", Ours = connectSeconds,
                TargetKind = TargetKind.ValueAtMost, Target = 5, MetOverride = shortfall is null ? null : false,
                Note = $"KernelClient per connection file (ZmtpKernelChannels + WaitForReadyAsync), {Wave} at a time{partial}",
            });
            outcome.Rows.Add(new ResultRow
            {
                Benchmark = "scale (load peer)", Metric = $"transport threads, {n} kernels (peak)", Unit = "threads", Ours = peakTransport,
                TargetKind = TargetKind.ValueAtMost, Target = 4,
                Note = $"threads named '{ThreadCensus.TransportPrefix}…' in /proc/self/task, sampled every 200 ms; all threads: {before.Total} before, {afterConnect.Total} after connect, {afterIdle.Total} after idle, peak {sampler.PeakTotal}; transport after connect {afterConnect.Transport}, after idle {afterIdle.Transport}",
            });
            outcome.Rows.Add(new ResultRow
            {
                Benchmark = "scale (load peer)", Metric = $"idle CPU, {n} kernels connected, whole process", Unit = "ms/10s", Ours = idleCpuMs,
                TargetKind = TargetKind.ValueAtMost, Target = 50, Note = $"this process's CPU time while every client sits idle (after a {SettleWindow.TotalSeconds:0} s settle); the same process before connecting: {baselineCpuMs:0.0} ms/10s",
            });
            outcome.Rows.Add(new ResultRow
            {
                Benchmark = "scale (load peer)", Metric = $"idle CPU, {n} kernels connected, over the same process before connecting", Unit = "ms/10s", Ours = attributableCpuMs,
                Note = "whole-process idle CPU with the clients connected minus the same window before any connected: the connections' own cost",
            });
            outcome.Rows.Add(new ResultRow
            {
                Benchmark = "scale (load peer)", Metric = "managed heap per kernel", Unit = "KiB", Ours = (heapAfter - heapBefore) / 1024.0 / clients.Count,
                TargetKind = TargetKind.ValueAtMost, Target = 256, Note = "GC.GetTotalMemory(true) after connecting all minus before, divided by the kernels",
            });
            double p50 = Stats.Median(concurrentLatencies) * 1e3, single50 = Stats.Median(single) * 1e3;
            outcome.Rows.Add(new ResultRow
            {
                Benchmark = "scale (load peer)", Metric = $"{concurrent} concurrent executes over {usedSpread} kernels, median wall time vs jupyter_client", Unit = "ms",
                Ours = Stats.Median(oursWall) * 1e3, Reference = jcWall.Count > 0 ? Stats.Median(jcWall) * 1e3 : null,
                ReferenceName = jcFailure is null ? "AsyncKernelClient per kernel + asyncio.gather, same peer" : $"AsyncKernelClient + gather: {jcFailure}",
                TargetKind = TargetKind.RatioAtMost, Target = 0.5, MetOverride = wrong > 0 || jcWall.Count == 0 ? false : null,
                Note = $"{rounds} rounds, ours and the reference alternating first; ours {string.Join(", ", oursWall.Select(x => (x * 1e3).ToString("0.0", CultureInfo.InvariantCulture)))} ms, jupyter_client {string.Join(", ", jcWall.Select(x => (x * 1e3).ToString("0.0", CultureInfo.InvariantCulture)))} ms; jupyter_client replies wrong {jcWrong}{(jcFirstWrong is null ? "" : $" (first: {jcFirstWrong})")}; the peer answers on one NetMQ poller thread per 100 kernels",
            });
            outcome.Rows.Add(new ResultRow
            {
                Benchmark = "scale (load peer)", Metric = $"{concurrent} concurrent executes over {usedSpread} kernels, p50 latency vs one kernel", Unit = "ms",
                Ours = p50, Reference = single50, ReferenceName = "single-kernel round trip, same peer",
                Note = $"informational: 200 at once queue for the CPU of both processes; p90 {Stats.P90(concurrentLatencies) * 1e3:0.000} ms; {checkedReplies} replies checked, {wrong} wrong or crossed{(firstWrong is null ? "" : $" (first: {firstWrong})")}",
            });
            outcome.Rows.Add(new ResultRow
            {
                Benchmark = "scale (load peer)", Metric = "concurrent replies correct, none crossed", Unit = "wrong", Ours = wrong,
                TargetKind = TargetKind.ValueAtMost, Target = 0, Note = $"{checkedReplies} replies: value, stdout and execution count per kernel",
            });
        }
        finally
        {
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try { await Task.WhenAll(clients.Select(c => c.DisposeAsync().AsTask())).WaitAsync(bound.Token); }
            catch (Exception e) { Console.WriteLine($"  disposing {clients.Count} clients: {e.GetType().Name}: {e.Message}"); }
        }
        return outcome;
    }

    /// <summary>As the product connects a local kernel: read the connection file, open our channels, wait for kernel_info.</summary>
    private static async Task<KernelClient> ConnectAsync(string connectionFile, CancellationToken ct)
    {
        var info = await ConnectionFile.ReadAsync(connectionFile, ct);
        var channels = await ZmtpKernelChannels.ConnectAsync(info, Guid.NewGuid().ToString("N"), ct);
        var client = new KernelClient(Path.GetFileNameWithoutExtension(connectionFile), channels, new KernelClientOptions());
        try
        {
            await client.WaitForReadyAsync(TimeSpan.FromSeconds(60), ct);
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    private readonly record struct Checked(int Kernel, double Seconds, int? ExecutionCount, string? Problem);

    /// <summary>One execute whose value names its kernel and request (odd requests print it instead), checked on return.</summary>
    private static async Task<Checked> ExecuteCheckedAsync(KernelClient client, int kernel, int request, CancellationToken ct)
    {
        long expected = kernel * 1_000_000L + request;
        bool print = request % 2 == 1;
        var code = print ? $"print({kernel} * 1000000 + {request})" : $"{kernel} * 1000000 + {request}";
        long t0 = Stopwatch.GetTimestamp();
        var execution = await client.ExecuteAsync(code, Common.Execute, ct);
        var text = new System.Text.StringBuilder();
        await foreach (var output in execution.Outputs.ReadAllAsync(ct))
        {
            if (output is KernelStreamOutput stream) text.Append(stream.Text);
            else if (output is KernelExecuteResult result && result.Data.TryGetValue("text/plain", out var plain)) text.Append(plain);
        }
        var reply = await execution.Completion;
        double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        var want = expected.ToString(CultureInfo.InvariantCulture) + (print ? "\n" : "");
        string? problem = reply.Status != "ok" ? $"kernel {kernel} request {request}: status {reply.Status}"
            : text.ToString() != want ? $"kernel {kernel} request {request}: got '{text}', expected '{want}'" : null;
        return new Checked(kernel, seconds, reply.ExecutionCount, problem);
    }

    private static async Task<double> IdleCpuMsAsync(CancellationToken ct)
    {
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpu0 = process.TotalProcessorTime;
        await Task.Delay(IdleWindow, ct);
        process.Refresh();
        return (process.TotalProcessorTime - cpu0).TotalMilliseconds * (10.0 / IdleWindow.TotalSeconds);
    }
}
