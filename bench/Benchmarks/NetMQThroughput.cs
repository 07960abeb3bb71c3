using System.Diagnostics;
using NetMQ;
using NetMQ.Sockets;

namespace JupyterKernels.Bench.Benchmarks;

/// <summary>
/// The NetMQ column of <c>zmtp</c>: DEALER→ROUTER over loopback TCP in this process, single-frame messages, timed from
/// the first send to the last receive after a handshake message, as our side is measured. Each socket is created,
/// used and disposed on one thread of its own (NetMQ sockets are not thread-safe).
/// </summary>
internal static class NetMQThroughput
{
    public static double Run(int size, int count, TimeSpan bound)
    {
        int port = 0;
        using var bound0 = new ManualResetEventSlim();
        using var greeted = new ManualResetEventSlim();
        using var receiverDone = new ManualResetEventSlim(); // the dealer stays open until everything has arrived
        long t0 = 0, bytes = 0;
        double seconds = 0;
        Exception? failure = null;
        var receiver = new Thread(() =>
        {
            try
            {
                using var router = new RouterSocket();
                router.Options.Linger = TimeSpan.Zero;
                port = router.BindRandomPort("tcp://127.0.0.1");
                bound0.Set();
                var msg = new NetMQMessage();
                if (!router.TryReceiveMultipartMessage(bound, ref msg)) throw new TimeoutException("no hello");
                greeted.Set();
                t0 = Stopwatch.GetTimestamp();
                var deadline = DateTime.UtcNow + bound;
                for (int i = 0; i < count; i++)
                {
                    if (!router.TryReceiveMultipartMessage(deadline - DateTime.UtcNow, ref msg)) throw new TimeoutException($"received {i} of {count}");
                    bytes += msg[1].BufferSize;
                }
                seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            }
            catch (Exception e) { failure = e; bound0.Set(); greeted.Set(); }
        }) { IsBackground = true, Name = "bench netmq router" };
        var sender = new Thread(() =>
        {
            try
            {
                if (!bound0.Wait(bound) || failure is not null) return;
                using var dealer = new DealerSocket();
                dealer.Options.Linger = TimeSpan.FromSeconds(1);
                dealer.Connect($"tcp://127.0.0.1:{port}");
                dealer.SendFrame("hello"u8.ToArray());
                if (!greeted.Wait(bound) || failure is not null) return;
                var payload = new byte[size];
                Array.Fill(payload, (byte)'x');
                for (int i = 0; i < count; i++) dealer.SendFrame(payload); // blocks at the high-water mark, as ours waits
                receiverDone.Wait(bound);
            }
            catch (Exception e) { failure ??= e; }
        }) { IsBackground = true, Name = "bench netmq dealer" };
        receiver.Start();
        sender.Start();
        if (!receiver.Join(bound + TimeSpan.FromSeconds(10))) throw new TimeoutException("NetMQ throughput run did not finish");
        receiverDone.Set();
        sender.Join(TimeSpan.FromSeconds(10));
        if (failure is not null) throw new InvalidOperationException("NetMQ throughput run failed", failure);
        if (bytes != (long)size * count) throw new InvalidOperationException($"NetMQ: received {bytes} bytes, expected {(long)size * count}");
        return seconds;
    }
}
