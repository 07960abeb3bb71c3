using System.Diagnostics;
using JupyterKernels.Transport.Zmq;
using Xunit.Abstractions;

namespace JupyterKernels.Tests.Zmtp;

/// <summary>
/// DEALER→ROUTER loopback throughput, managed↔managed. Only measures when ZMTP_PERF=1 (it is a benchmark,
/// not a correctness test); otherwise it runs a tiny smoke version.
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
        await using var router = ZmqSocket.Create(ZmqSocketType.Router);
        int port = await router.BindAsync("tcp://127.0.0.1:0");
        await using var dealer = ZmqSocket.Create(ZmqSocketType.Dealer);
        await dealer.ConnectAsync($"tcp://127.0.0.1:{port}");
        var body = new ReadOnlyMemory<byte>[] { new byte[size] };
        // Warm up and make sure the connection is up.
        await T.Send(dealer, body);
        await T.Recv(router);

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        int gc0 = GC.CollectionCount(0), gc1 = GC.CollectionCount(1), gc2 = GC.CollectionCount(2);
        var pause0 = GC.GetTotalPauseDuration();
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        var sender = Task.Run(async () =>
        {
            for (int i = 0; i < count; i++) await dealer.SendAsync(body, cts.Token);
        });
        for (int i = 0; i < count; i++) await router.ReceiveAsync(cts.Token);
        sw.Stop();
        await sender;
        double rate = count / sw.Elapsed.TotalSeconds;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu0;
        output.WriteLine($"{size} B x {count}: {rate:N0} msg/s, {rate * size / 1e6:N1} MB/s; " +
            $"GCs {GC.CollectionCount(0) - gc0}/{GC.CollectionCount(1) - gc1}/{GC.CollectionCount(2) - gc2}, " +
            $"pause {(GC.GetTotalPauseDuration() - pause0).TotalMilliseconds:N0} ms, CPU {cpu.TotalMilliseconds:N0} ms in {sw.ElapsedMilliseconds} ms");
    }
}
