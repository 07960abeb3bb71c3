using System.Diagnostics;
using JupyterKernels.Transport.Zmq;
using Xunit.Abstractions;

namespace JupyterKernels.Tests.Zmtp;

/// <summary>
/// DEALER→ROUTER loopback throughput, managed↔managed. Only measures at full size when ZMTP_PERF=1; otherwise it
/// runs a small version. Either way it asserts that every message arrived whole, from the one peer, exactly once
/// (the rate is printed, never asserted: speed belongs in bench/).
/// </summary>
[Collection("ZmtpSerial")]
public class ThroughputTests(ITestOutputHelper output)
{
    private static bool Enabled => Environment.GetEnvironmentVariable("ZMTP_PERF") == "1";

    [Theory]
    [InlineData(64, 1_000_000)]
    [InlineData(65536, 20_000)]
    public async Task Dealer_to_router(int size, int count)
    {
        if (!Enabled) count = Math.Min(count, 2000);
        await using var router = TestSockets.Create(TestSocketType.Router);
        int port = await router.BindAsync("tcp://127.0.0.1:0");
        await using var dealer = ZmqSocket.Create(ZmqSocketType.Dealer);
        await dealer.ConnectAsync($"tcp://127.0.0.1:{port}");
        var payload = new byte[size];
        for (int i = 0; i < size; i++) payload[i] = (byte)(i * 31 + 7);
        var body = new ReadOnlyMemory<byte>[] { payload };
        // Warm up and make sure the connection is up.
        await T.Send(dealer, body);
        var identity = (await T.Recv(router))[0];

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        int gc0 = GC.CollectionCount(0), gc1 = GC.CollectionCount(1), gc2 = GC.CollectionCount(2);
        var pause0 = GC.GetTotalPauseDuration();
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        var sender = Task.Run(async () =>
        {
            for (int i = 0; i < count; i++) await dealer.SendAsync(body, cts.Token);
        });
        int intact = 0;
        for (int i = 0; i < count; i++)
        {
            // Every message arrives whole and from the one peer: [routing id, body]. The content is compared after
            // the timed loop for all but a sample, so the check does not slow the measurement.
            var m = await router.ReceiveAsync(cts.Token);
            if (m.Count == 2 && m[1].Length == size && m[0].AsSpan().SequenceEqual(identity)
                && (i % 997 != 0 || m[1].AsSpan().SequenceEqual(payload))) intact++;
        }
        sw.Stop();
        await sender;
        Assert.Equal(count, intact);
        // Nothing beyond what was sent: a stray or duplicated frame would be waiting here.
        using (var quiet = new CancellationTokenSource(TimeSpan.FromMilliseconds(200)))
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await router.ReceiveAsync(quiet.Token));
        double rate = count / sw.Elapsed.TotalSeconds;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu0;
        output.WriteLine($"{size} B x {count}: {rate:N0} msg/s, {rate * size / 1e6:N1} MB/s; " +
            $"GCs {GC.CollectionCount(0) - gc0}/{GC.CollectionCount(1) - gc1}/{GC.CollectionCount(2) - gc2}, " +
            $"pause {(GC.GetTotalPauseDuration() - pause0).TotalMilliseconds:N0} ms, CPU {cpu.TotalMilliseconds:N0} ms in {sw.ElapsedMilliseconds} ms");
    }
}
