using System.Diagnostics;
using JupyterKernels.Bench.Harness;
using JupyterKernels.Connections;
using JupyterKernels.Providers;
using JupyterKernels.Providers.Gateway;
using JupyterKernels.Service;

namespace JupyterKernels.Bench.Benchmarks;

/// <summary>
/// Remote round trip, over plain HTTP and over TLS (a throwaway CA): per scheme ONE real jupyter-server (started by
/// python/remote.py in our temp root, random token, loopback) and ONE kernel on it (started by our
/// GatewayKernelProvider). Ours: GatewayKernelProvider → WebSocketKernelChannels → KernelClient.ExecuteAsync until
/// Completion, with and (informational) without the TCP_QUICKACK re-arm. References: a bare tornado WebSocket loop on
/// the same /api/kernels/{id}/channels (legacy JSON framing, execute_reply + idle), the floor for a .NET client (a bare
/// ClientWebSocket loop over the issue's quick-ACK NetworkStream, v1 framing: <see cref="BareDotNetWebSocket"/>), and
/// our own local ZeroMQ round trip on the shared local kernel. Per contender also thread-pool work items and process
/// CPU per execute (counts, not clocks: what the machine's load does not blur). Interleaved in rounds, one client connected at a time. Also:
/// KernelProviders.ListKernelSpecsAsync over local + two registrations of the plain server, warm cache.
/// </summary>
internal sealed class RemoteBenchmark : IBenchmark
{
    public string Name => "remote";
    public string Description => "execute `1` through jupyter-server's kernel WebSocket (plain and TLS): ours vs bare tornado websocket loop and vs our local ZeroMQ round trip; kernelspec listing of 3 providers (warm)";

    public async Task<BenchOutcome> RunAsync(BenchContext ctx, CancellationToken ct)
    {
        int rounds = ctx.Quick ? 2 : 10, perRound = ctx.Quick ? 10 : 30, warmup = ctx.Quick ? 3 : 10, listings = ctx.Quick ? 50 : 300;
        await using var py = await ctx.StartHelperAsync("remote.py", ct);
        var outcome = new BenchOutcome();
        var local = await ctx.GetSharedKernelAsync(ct);
        string? plainUrl = null, plainToken = null;
        foreach (bool tls in new[] { false, true })
        {
            string label = tls ? "TLS" : "plain";
            var server = await py.CallAsync("start_server", new { root = Path.Combine(ctx.Root, tls ? "jupyter-server-tls" : "jupyter-server"), tls }, TimeSpan.FromSeconds(90), ct);
            var url = server["url"]!.GetValue<string>();
            var token = server["token"]!.GetValue<string>();
            var ca = server["ca"]?.GetValue<string>();
            if (!tls) (plainUrl, plainToken) = (url, token);
            Console.WriteLine($"  jupyter-server ({label}) up at {url} (pid {server["pid"]})");
            await RunServerAsync(ctx, py, outcome, local, label, url, token, ca, rounds, perRound, warmup, ct);
        }
        await ListKernelSpecsAsync(ctx, outcome, plainUrl!, plainToken!, listings, ct);
        return outcome;
    }

    /// <summary>One server (plain or TLS), one kernel on it; interleaved rounds of: ours (negotiated framing), ours
    /// forced to legacy JSON, ours without the TCP_QUICKACK re-arm, the bare tornado loop, and our local ZeroMQ round
    /// trip on the shared local kernel.</summary>
    private static async Task RunServerAsync(BenchContext ctx, PythonHelper py, BenchOutcome outcome, KernelRecord local, string label,
        string url, string token, string? ca, int rounds, int perRound, int warmup, CancellationToken ct)
    {
        var options = new GatewayOptions
        {
            BaseUrl = new Uri(url),
            Token = token,
            CaCertsPath = ca,
            RequestTimeout = TimeSpan.FromSeconds(60),
            ConnectTimeout = TimeSpan.FromSeconds(20),
        };
        await using var provider = new GatewayKernelProvider("srv", options);
        await using var withoutQuickAck = new GatewayKernelProvider("srv", options with { TcpQuickAck = false });
        var record = await provider.StartKernelAsync(new KernelStartRequest
        {
            KernelId = Guid.NewGuid().ToString(), SpecName = "srv/python3", StartTimeout = BenchContext.StartTimeout,
        }, ct);
        var remoteId = record.RemoteId ?? record.Id;
        try
        {
            var ours = new List<double>();
            var oursLegacy = new List<double>();
            var oursNoQuickAck = new List<double>();
            var bare = new List<double>();
            var dotnetFloor = new List<double>();
            var oursBlocking = new List<double>();
            var zmq = new List<double>();
            var costs = new Dictionary<string, (long PoolItems, double CpuMs, int Executes)>();
            void Count(string name, long poolItems, TimeSpan cpu, int executes)
            {
                var c = costs.GetValueOrDefault(name);
                costs[name] = (c.PoolItems + poolItems, c.CpuMs + cpu.TotalMilliseconds, c.Executes + executes);
            }
            async Task Timed(string name, List<double> samples, Func<Task> execute)
            {
                for (int i = 0; i < warmup; i++) await execute();
                long pool0 = ThreadPool.CompletedWorkItemCount;
                var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
                for (int i = 0; i < perRound; i++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    await execute();
                    samples.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
                }
                Count(name, ThreadPool.CompletedWorkItemCount - pool0, Process.GetCurrentProcess().TotalProcessorTime - cpu0, perRound);
            }
            bool? v1 = null;
            async Task Measure(string name, KernelClient client, List<double> samples)
            {
                await client.WaitForReadyAsync(TimeSpan.FromSeconds(60), ct);
                await Timed(name, samples, () => Common.RunAsync(client, "1", ct));
            }
            // Ours as users get it (framing negotiated: v1 when the server offers it) and forced to the legacy JSON
            // framing the bare loop speaks (the like-for-like comparison).
            Func<Task> Ours(string name, GatewayKernelProvider via, bool? offerV1, List<double> samples) => async () =>
            {
                var channels = await via.ConnectWebSocketAsync(record, offerV1, ct);
                if (offerV1 is null) v1 = channels.UsesV1Protocol;
                else if (channels.UsesV1Protocol) throw new InvalidOperationException("legacy framing was requested but v1 was negotiated");
                await using var client = new KernelClient(record.Id, channels, ((IKernelProvider)via).GetClientOptions(record));
                await Measure(name, client, samples);
            };
            var contenders = new (string Name, Func<Task> Run)[]
            {
                ("ours", Ours("ours", provider, null, ours)),
                ("ours legacy", Ours("ours legacy", provider, false, oursLegacy)),
                ("ours without quickack", Ours("ours without quickack", withoutQuickAck, null, oursNoQuickAck)),
                ("ours blocking", async () =>
                {
                    // As Invoke-KernelCode consumes an execution: a pipeline thread blocked in WaitForOutputs.
                    var channels = await provider.ConnectWebSocketAsync(record, null, ct);
                    await using var client = new KernelClient(record.Id, channels, ((IKernelProvider)provider).GetClientOptions(record));
                    await client.WaitForReadyAsync(TimeSpan.FromSeconds(60), ct);
                    await Common.OnDedicatedThread(() => Timed("ours blocking", oursBlocking, () =>
                    {
                        Common.RunBlocking(client, "1", ct);
                        return Task.CompletedTask;
                    }).GetAwaiter().GetResult());
                }),
                (".NET floor", async () =>
                {
                    await using var floor = await BareDotNetWebSocket.ConnectAsync(url, token, remoteId, ca, ct);
                    await Timed(".NET floor", dotnetFloor, () => floor.ExecuteOneAsync(ct));
                }),
                ("bare", async () =>
                {
                    var r = await py.CallAsync("bare_ws", new { url, token, kernel_id = remoteId, code = "1", warmup, n = perRound, ca }, TimeSpan.FromMinutes(3), ct);
                    bare.AddRange(Common.Doubles(r["seconds"]));
                }),
                ("local zmq", async () =>
                {
                    await using var client = await ctx.ConnectAsync(local, ct);
                    await Measure("local zmq", client, zmq);
                }),
            };
            for (int round = 0; round < rounds; round++)
            {
                for (int k = 0; k < contenders.Length; k++) await contenders[(round + k) % contenders.Length].Run();
                if ((round + 1) % 5 == 0 || round + 1 == rounds)
                    Console.WriteLine($"  {label} round {round + 1}/{rounds}: median ours {Stats.Median(ours) * 1e3:0.000} ms, blocking {Stats.Median(oursBlocking) * 1e3:0.000} ms, legacy {Stats.Median(oursLegacy) * 1e3:0.000} ms, " +
                                      $"without quickack {Stats.Median(oursNoQuickAck) * 1e3:0.000} ms, .NET floor {Stats.Median(dotnetFloor) * 1e3:0.000} ms, bare tornado {Stats.Median(bare) * 1e3:0.000} ms, local zmq {Stats.Median(zmq) * 1e3:0.000} ms");
            }

            double mo = Stats.Median(ours) * 1e3, mb = Stats.Median(bare) * 1e3, mz = Stats.Median(zmq) * 1e3, mf = Stats.Median(dotnetFloor) * 1e3;
            string PerExecute(string name) => costs.TryGetValue(name, out var c) && c.Executes > 0
                ? $"{name}: {(double)c.PoolItems / c.Executes:0.0} pool items, {c.CpuMs / c.Executes:0.00} ms CPU" : $"{name}: -";
            string key = label.ToLowerInvariant();
            outcome.Raw[$"{key}_rounds"] = rounds;
            outcome.Raw[$"{key}_iterations_per_contender"] = ours.Count;
            outcome.Raw[$"{key}_ours_ms"] = Stats.Summary(ours, 1e3);
            outcome.Raw[$"{key}_ours_legacy_framing_ms"] = Stats.Summary(oursLegacy, 1e3);
            outcome.Raw[$"{key}_ours_without_quickack_ms"] = Stats.Summary(oursNoQuickAck, 1e3);
            outcome.Raw[$"{key}_bare_tornado_ms"] = Stats.Summary(bare, 1e3);
            outcome.Raw[$"{key}_local_zmq_ms"] = Stats.Summary(zmq, 1e3);
            outcome.Raw[$"{key}_dotnet_floor_ms"] = Stats.Summary(dotnetFloor, 1e3);
            outcome.Raw[$"{key}_ours_blocking_caller_ms"] = Stats.Summary(oursBlocking, 1e3);
            foreach (var (name, c) in costs)
                outcome.Raw[$"{key}_{name.Replace(".NET", "dotnet").Replace(' ', '_')}_per_execute"] = new Dictionary<string, double>
                {
                    ["threadpool_work_items"] = (double)c.PoolItems / c.Executes, ["process_cpu_ms"] = c.CpuMs / c.Executes,
                };
            outcome.Raw[$"{key}_ours_websocket_protocol"] = v1 == true ? "v1.kernel.websocket.jupyter.org" : "legacy JSON";
            string framing = v1 == true ? "v1 (binary)" : "legacy JSON";
            string bench = $"remote execute `1` ({label}, jupyter-server WebSocket)";
            outcome.Rows.Add(new ResultRow
            {
                Benchmark = bench, Metric = $"median vs bare tornado loop (ours: negotiated, {framing})", Unit = "ms",
                Ours = mo, Reference = mb, ReferenceName = "bare tornado websocket, legacy JSON", TargetKind = TargetKind.RatioAtMost, Target = 0.15,
                Note = $"same server and kernel, {ours.Count} iterations per contender in {rounds} interleaved rounds (ours negotiated, ours legacy, ours without quickack, ours blocking, .NET floor, bare, local zmq), one client connected at a time; " +
                       $"p90 ours {Stats.P90(ours) * 1e3:0.000} ms, bare {Stats.P90(bare) * 1e3:0.000} ms; min ours {ours.Min() * 1e3:0.000} ms, bare {bare.Min() * 1e3:0.000} ms. " +
                       "The bare loop pays the server's Nagle + the client's delayed ACK (~40 ms); ours re-arms TCP_QUICKACK after every read",
            });
            outcome.Rows.Add(new ResultRow
            {
                Benchmark = bench, Metric = "median vs bare tornado loop (ours forced to legacy JSON)", Unit = "ms",
                Ours = Stats.Median(oursLegacy) * 1e3, Reference = mb, ReferenceName = "bare tornado websocket, legacy JSON", TargetKind = TargetKind.RatioAtMost, Target = 0.15,
            });
            outcome.Rows.Add(new ResultRow
            {
                Benchmark = bench, Metric = "median vs our local ZeroMQ round trip", Unit = "ms",
                Ours = mo, Reference = mz, ReferenceName = "KernelClient over ZMTP on a local ipykernel (same run, interleaved)", TargetKind = TargetKind.RatioAtMost, Target = 1.5,
                Note = $"p90 local zmq {Stats.P90(zmq) * 1e3:0.000} ms",
            });
            outcome.Rows.Add(new ResultRow
            {
                Benchmark = bench, Metric = "median vs the .NET floor (bare ClientWebSocket loop + quick-ACK NetworkStream, v1)", Unit = "ms",
                Ours = mo, Reference = mf, ReferenceName = "bare .NET ClientWebSocket + quickack stream", TargetKind = TargetKind.None,
                Note = $"informational: what our client adds over a minimal .NET loop on the same server and kernel; p90 floor {Stats.P90(dotnetFloor) * 1e3:0.000} ms. " +
                       $"Per execute: {PerExecute("ours")}; {PerExecute("ours blocking")}; {PerExecute(".NET floor")}; {PerExecute("local zmq")}",
            });
            outcome.Rows.Add(new ResultRow
            {
                Benchmark = bench, Metric = "median, Invoke-KernelCode's blocking wait vs bare tornado loop", Unit = "ms",
                Ours = Stats.Median(oursBlocking) * 1e3, Reference = mb, ReferenceName = "bare tornado websocket, legacy JSON", TargetKind = TargetKind.None,
                Note = $"informational: the same client consumed as the cmdlet does (a dedicated thread blocked in WaitForOutputs, woken by the connection; no thread-pool hop back to the caller); p90 {Stats.P90(oursBlocking) * 1e3:0.000} ms",
            });
            outcome.Rows.Add(new ResultRow
            {
                Benchmark = bench, Metric = "median without the TCP_QUICKACK re-arm vs bare tornado loop (what the re-arm saves)", Unit = "ms",
                Ours = Stats.Median(oursNoQuickAck) * 1e3, Reference = mb, ReferenceName = "bare tornado websocket, legacy JSON", TargetKind = TargetKind.None,
                Note = "informational: GatewayOptions.TcpQuickAck = false, the same sockets without the re-arm",
            });
        }
        finally
        {
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                await provider.ShutdownAsync(record, now: true, cts.Token);
            }
            catch (Exception e) { Console.Error.WriteLine($"  warning: remote kernel shutdown failed: {e.Message}"); }
        }
    }

    private static async Task ListKernelSpecsAsync(BenchContext ctx, BenchOutcome outcome, string url, string token, int listings, CancellationToken ct)
    {
            // Kernelspec listing: local + the same server registered twice under different names; warm caches.
            double[] listMs;
            int specCount, warnings;
            await using (var registry = new KernelProviders(ctx.Provider, GatewayProviderFactory.Instance))
            {
                foreach (var name in new[] { "srv-a", "srv-b" })
                    await registry.RegisterAsync(new ProviderRegistration { Name = name, Url = url, Token = token }, ct);
                var first = await registry.ListKernelSpecsAsync(refresh: false, ct); // fills the caches (untimed)
                specCount = first.Specs.Count;
                warnings = first.Warnings.Count;
                if (warnings > 0) throw new InvalidOperationException("kernelspec listing warned: " + string.Join("; ", first.Warnings.Select(w => w.Message)));
                listMs = new double[listings];
                for (int i = 0; i < listings; i++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    var l = await registry.ListKernelSpecsAsync(refresh: false, ct);
                    listMs[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                    if (l.Specs.Count != specCount) throw new InvalidOperationException($"listing returned {l.Specs.Count} specs, expected {specCount}");
                }
            }

            outcome.Raw["kernelspec_listing_ms"] = Stats.Summary(listMs);
            outcome.Raw["kernelspec_listing_specs"] = specCount;
            outcome.Rows.Add(new ResultRow
            {
                Benchmark = "kernelspec listing, 3 providers (warm cache)", Metric = "median ListKernelSpecsAsync", Unit = "ms",
                Ours = Stats.Median(listMs), TargetKind = TargetKind.ValueAtMost, Target = 5,
                Note = $"local + 2 registrations of the same server ({specCount} specs), {listings} calls after one cache-filling call; p90 {Stats.P90(listMs):0.000} ms; no reference (absolute target)",
            });
    }
}
