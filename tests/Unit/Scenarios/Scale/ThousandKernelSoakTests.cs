using System.Diagnostics;
using JupyterKernels.Connections;
using JupyterKernels.LoadPeer;
using JupyterKernels.Messaging;
using JupyterKernels.Tests.Zmtp;
using JupyterKernels.Transport.Zmq;

using JupyterKernels.Transport.Sockets;

namespace JupyterKernels.Tests.Scale;

/// <summary>
/// 1,000 kernels (the NetMQ load peer: one process, 5 sockets per kernel) connected from this process at once, as the
/// product connects (connection file, ZmtpKernelChannels, KernelClient, kernel_info): every one answers, the transport
/// runs on at most 4 threads in total (Linux: the one I/O thread), and disposing them all is bounded and leaves no
/// descriptor, registration or thread behind (/proc/self/fd, /proc/self/task). Figures (connect time, idle CPU,
/// managed heap per kernel) are printed, not asserted: they belong to bench/ (row scale).
/// </summary>
[Collection("ZmtpSerial")]
[Trait("Category", "Integration")]
public sealed class ThousandKernelSoakTests
{
    private const int Kernels = 1000;
    private const int Wave = 100;

    /// <summary>Threads that carry transport I/O: ours (ZMTP*) and .NET's socket engine, were anything to use it.</summary>
    private static int TransportThreads()
    {
        int count = 0;
        foreach (var task in Directory.GetDirectories("/proc/self/task"))
        {
            try
            {
                var name = File.ReadAllText(Path.Combine(task, "comm")).Trim();
                if (name.StartsWith("ZMTP", StringComparison.Ordinal) || name.StartsWith(".NET Sockets", StringComparison.Ordinal)) count++;
            }
            catch (IOException) { }
        }
        return count;
    }

    private static async Task<KernelClient> ConnectAsync(string connectionFile, CancellationToken cancellationToken)
    {
        var info = await ConnectionFile.ReadAsync(connectionFile, cancellationToken);
        var channels = await ZmtpKernelChannels.ConnectAsync(info, Guid.NewGuid().ToString("N"), cancellationToken);
        var client = new KernelClient(Path.GetFileNameWithoutExtension(connectionFile), channels, new KernelClientOptions());
        try
        {
            await client.WaitForReadyAsync(TimeSpan.FromSeconds(60), cancellationToken);
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    [Fact]
    public async Task A_thousand_kernels_connect_answer_on_at_most_four_transport_threads_and_dispose_without_leaks()
    {
        Assert.True(EpollIoThread.IsSupported, "the one-I/O-thread poller is the Linux path");
        await using var peer = await LoadPeerProcess.StartAsync(Kernels, TimeSpan.FromMinutes(2));
        var log = new System.Text.StringBuilder();

        // Baselines after one warm-up kernel (JIT, the I/O thread itself, the thread pool's first workers).
        using (var warm = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
            await (await ConnectAsync(peer.ConnectionFiles[0], warm.Token)).DisposeAsync();
        await IoThreadTests.SettlesAtMost(() => EpollIoThread.RegisteredCount, 0);
        int fdsBefore = IoThreadTests.OpenDescriptors(), registeredBefore = EpollIoThread.RegisteredCount;
        long heapBefore = GC.GetTotalMemory(forceFullCollection: true);

        var clients = new KernelClient[Kernels];
        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var connecting = Stopwatch.StartNew();
        // In waves of 100 at once (as bench/ row scale does): the load peer's one NetMQ poller serves 5,000 sockets.
        for (int start = 0; start < Kernels; start += Wave)
            await Task.WhenAll(Enumerable.Range(start, Math.Min(Wave, Kernels - start))
                .Select(async i => clients[i] = await ConnectAsync(peer.ConnectionFiles[i], bound.Token)));
        log.AppendLine($"connected {Kernels} kernels (kernel_info answered by each) in {connecting.ElapsedMilliseconds} ms");
        try
        {
            // Each kernel answers again, on control (what the ZMTP heartbeat watches) as well.
            await Task.WhenAll(clients.Select(c => c.GetKernelInfoAsync(TimeSpan.FromSeconds(60), bound.Token, KernelChannel.Control)));
            Assert.All(clients, c => Assert.Equal(VirtualKernel.Implementation, c.Info!.Implementation));

            int transportThreads = TransportThreads();
            log.AppendLine($"transport threads: {transportThreads} (ZMTP I/O + .NET socket engine), process threads: {IoThreadTests.Threads()}");
            Assert.True(transportThreads <= 4, $"{transportThreads} transport threads for {Kernels} kernels");
            // Our kernels' own count, not registeredBefore + ...: an earlier test's registration may go meanwhile (IoThreadTests).
            Assert.True(EpollIoThread.RegisteredCount >= 4 * Kernels, $"only {EpollIoThread.RegisteredCount} sockets registered ({registeredBefore} before)");

            long heapDuring = GC.GetTotalMemory(forceFullCollection: true);
            log.AppendLine($"managed heap: {(heapDuring - heapBefore) / Kernels / 1024.0:0.0} KiB per kernel");

            // Idle: after a settling pause (tier-up JIT and GC after the connect burst), two 5 s windows.
            await Task.Delay(TimeSpan.FromSeconds(3));
            var process = Process.GetCurrentProcess();
            for (int window = 0; window < 2; window++)
            {
                process.Refresh();
                var cpu0 = process.TotalProcessorTime;
                await Task.Delay(TimeSpan.FromSeconds(5));
                process.Refresh();
                log.AppendLine($"idle CPU with {Kernels} kernels: {(process.TotalProcessorTime - cpu0).TotalMilliseconds * 2:0} ms per 10 s (ZMTP heartbeats on: {HeartbeatClock.Count} connections; machine load {File.ReadAllText("/proc/loadavg").Split(' ')[0]})");
            }
            // Still all connected after the idle period (heartbeats answered by NetMQ or quiet; nothing dropped).
            await Task.WhenAll(clients.Take(50).Select(c => c.GetKernelInfoAsync(TimeSpan.FromSeconds(60), bound.Token, KernelChannel.Shell)));
        }
        finally
        {
            var disposing = Stopwatch.StartNew();
            await Task.WhenAll(clients.Where(c => c is not null).Select(c => c.DisposeAsync().AsTask())).WaitAsync(TimeSpan.FromSeconds(60));
            log.AppendLine($"disposed {Kernels} clients in {disposing.ElapsedMilliseconds} ms");
            Console.WriteLine(log.ToString());
        }

        int registered = await IoThreadTests.SettlesAtMost(() => EpollIoThread.RegisteredCount, registeredBefore);
        Assert.True(registered <= registeredBefore, $"{registered - registeredBefore} sockets left registered");
        int fds = await IoThreadTests.SettlesAtMost(IoThreadTests.OpenDescriptors, fdsBefore + 5);
        Assert.True(fds <= fdsBefore + 5, $"descriptors leaked: {fdsBefore} before, {fds} after disposing {Kernels} kernels\n{log}");
        Assert.True(TransportThreads() <= 4);
    }
}
