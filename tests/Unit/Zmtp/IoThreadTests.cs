using System.Diagnostics;
using JupyterKernels.Transport.Zmq;

namespace JupyterKernels.Tests.Zmtp;

/// <summary>
/// Every connection reads on a thread of its own (see NonBlockingSocket): those threads must end with their
/// connections, or a long PowerShell session that opens and closes kernels would pile them up.
/// Serial: it counts the process's threads.
/// </summary>
[Collection("ZmtpSerial")]
public class IoThreadTests
{
    /// <summary>Threads of this process whose name starts with "ZMTP" (Linux: /proc/self/task/*/comm).</summary>
    private static int ZmtpThreads()
    {
        Assert.True(OperatingSystem.IsLinux(), "this check reads /proc/self/task");
        int count = 0;
        foreach (var task in Directory.GetDirectories("/proc/self/task"))
        {
            try { if (File.ReadAllText(Path.Combine(task, "comm")).StartsWith("ZMTP", StringComparison.Ordinal)) count++; }
            catch (IOException) { /* the thread ended while we looked */ }
        }
        return count;
    }

    [Fact]
    public async Task Connection_threads_end_when_their_sockets_are_disposed()
    {
        int before = ZmtpThreads();
        var sockets = new List<IZmqSocket>();
        for (int i = 0; i < 20; i++)
        {
            var router = ZmqSocket.Create(ZmqSocketType.Router, T.Fast);
            int port = await router.BindAsync("tcp://127.0.0.1:0");
            var dealer = ZmqSocket.Create(ZmqSocketType.Dealer, T.Fast);
            await dealer.ConnectAsync($"tcp://127.0.0.1:{port}");
            sockets.Add(router);
            sockets.Add(dealer);
            await T.Send(dealer, T.Msg("ping"));
            var m = await T.Recv(router);
            Assert.Equal("ping", T.S(m.Frames[^1]));
        }
        int during = ZmtpThreads();
        Assert.True(during >= before + 40, $"expected a read thread per connection end: {before} before, {during} with 20 pairs");

        foreach (var s in sockets) await s.DisposeAsync().AsTask().WaitAsync(T.Timeout);
        var sw = Stopwatch.StartNew();
        int after = ZmtpThreads();
        while (after > before && sw.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(50);
            after = ZmtpThreads();
        }
        Assert.True(after <= before, $"{after - before} ZMTP threads outlived their sockets ({before} before, {during} during)");
    }
}
