using System.Diagnostics;
using JupyterKernels.Bench.Harness;
using JupyterKernels.Transport.Zmq;

namespace JupyterKernels.Bench.Benchmarks;

/// <summary>
/// Benchmark 4: raw ZMTP throughput DEALER→ROUTER over loopback TCP, single-frame messages of 64 B and 64 KiB.
/// Ours: both ends our managed sockets in this process (sender task + receiver loop). Reference: both ends pyzmq
/// (libzmq), sender and receiver in two Python processes. Time from the first send to the last receive, after a
/// handshake message; repetitions interleaved, median reported. NetMQ 4.0.4.5 (both ends NetMQ in this process, like
/// ours) runs in the same rounds: the README's "why not NetMQ" throughput figure.
/// </summary>
internal sealed class ZmtpThroughputBenchmark : IBenchmark
{
    public string Name => "zmtp";
    public string Description => "ZMTP DEALER→ROUTER loopback throughput, 64 B and 64 KiB: ours (managed) vs libzmq via pyzmq and vs NetMQ";

    public async Task<BenchOutcome> RunAsync(BenchContext ctx, CancellationToken ct)
    {
        var outcome = new BenchOutcome();
        await using var py = await ctx.StartHelperAsync("zmq_throughput.py", ct);
        int reps = ctx.Quick ? 1 : 3;
        var cases = new (string Label, int Size, int Count, double Target, double? NetMQTarget)[]
        {
            ("64 B", 64, ctx.Quick ? 20_000 : 200_000, 0.5, null),
            ("64 KiB", 65536, ctx.Quick ? 2_000 : 20_000, 0.8, 2.0),
        };
        foreach (var (label, size, count, target, netmqTarget) in cases)
        {
            // Warm both sides (JIT, allocator) with a short run first.
            await RunOursAsync(size, Math.Min(count, 5_000), ct);
            await py.CallAsync("throughput", new { size, count = Math.Min(count, 5_000) }, TimeSpan.FromMinutes(2), ct);
            await Task.Run(() => NetMQThroughput.Run(size, Math.Min(count, 5_000), TimeSpan.FromMinutes(2)), ct);
            var ours = new List<double>();
            var libzmq = new List<double>();
            var netmq = new List<double>();
            for (int rep = 0; rep < reps; rep++)
            {
                ours.Add(await RunOursAsync(size, count, ct));
                var r = await py.CallAsync("throughput", new { size, count }, TimeSpan.FromMinutes(3), ct);
                if (r["received"]!.GetValue<int>() != count) throw new InvalidOperationException("pyzmq lost messages");
                libzmq.Add(r["seconds"]!.GetValue<double>());
                netmq.Add(await Task.Run(() => NetMQThroughput.Run(size, count, TimeSpan.FromMinutes(3)), ct));
                Console.WriteLine($"  {label} rep {rep + 1}/{reps}: ours {count / ours[^1]:#,0} msg/s, libzmq {count / libzmq[^1]:#,0} msg/s, NetMQ {count / netmq[^1]:#,0} msg/s");
            }
            double oursRate = count / Stats.Median(ours), refRate = count / Stats.Median(libzmq);
            outcome.Raw[$"{label}_count"] = count;
            outcome.Raw[$"{label}_ours_seconds"] = ours;
            outcome.Raw[$"{label}_libzmq_seconds"] = libzmq;
            outcome.Raw[$"{label}_netmq_seconds"] = netmq;
            double netmqRate = count / Stats.Median(netmq);
            outcome.Rows.Add(new ResultRow
            {
                Benchmark = $"ZMTP DEALER→ROUTER {label}", Metric = "messages/s", Unit = "msg/s",
                Ours = oursRate, Reference = refRate, ReferenceName = "libzmq", TargetKind = TargetKind.RatioAtLeast, Target = target,
                Note = $"{count:#,0} messages × {reps} reps, median",
            });
            outcome.Rows.Add(new ResultRow
            {
                Benchmark = $"ZMTP DEALER→ROUTER {label}", Metric = "payload MB/s", Unit = "MB/s",
                Ours = oursRate * size / 1e6, Reference = refRate * size / 1e6, ReferenceName = "libzmq",
                TargetKind = TargetKind.RatioAtLeast, Target = target,
            });
            outcome.Rows.Add(new ResultRow
            {
                Benchmark = $"ZMTP DEALER→ROUTER {label}", Metric = "messages/s vs NetMQ", Unit = "msg/s",
                Ours = oursRate, Reference = netmqRate, ReferenceName = "NetMQ 4.0.4.5",
                TargetKind = netmqTarget is null ? TargetKind.None : TargetKind.RatioAtLeast, Target = netmqTarget,
                Note = "both ends NetMQ in this process (the README's 'why not NetMQ')",
            });
        }
        return outcome;
    }

    /// <summary>Seconds to move <paramref name="count"/> messages of <paramref name="size"/> bytes.</summary>
    private static async Task<double> RunOursAsync(int size, int count, CancellationToken ct)
    {
        await using var router = TestSockets.Create(TestSocketType.Router);
        int port = await router.BindAsync("tcp://127.0.0.1:0", ct);
        await using var dealer = ZmqSocket.Create(ZmqSocketType.Dealer);
        await dealer.ConnectAsync($"tcp://127.0.0.1:{port}", ct);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromMinutes(2));
        var token = deadline.Token;
        await dealer.SendAsync(new ReadOnlyMemory<byte>[] { "hello"u8.ToArray() }, token);
        await router.ReceiveAsync(token);

        var payload = new byte[size];
        Array.Fill(payload, (byte)'x');
        var frames = new ReadOnlyMemory<byte>[] { payload };
        long t0 = Stopwatch.GetTimestamp();
        var sender = Task.Run(async () =>
        {
            for (int i = 0; i < count; i++) await dealer.SendAsync(frames, token);
        }, token);
        long bytes = 0;
        for (int i = 0; i < count; i++)
        {
            var m = await router.ReceiveAsync(token);
            bytes += m[1].Length;
        }
        double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        await sender;
        if (bytes != (long)size * count) throw new InvalidOperationException($"received {bytes} bytes, expected {(long)size * count}");
        return seconds;
    }
}
