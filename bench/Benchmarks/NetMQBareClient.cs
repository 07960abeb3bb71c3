using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using NetMQ;
using NetMQ.Sockets;

namespace JupyterKernels.Bench.Benchmarks;

/// <summary>
/// The NetMQ column of <c>roundtrip</c>: the bare floor written on NetMQ, as roundtrip.py's "bare" is on pyzmq: a shell
/// DEALER and an IOPub SUB on one <see cref="NetMQPoller"/> thread, an HMAC-SHA256 signed execute_request, and the
/// round trip ends when the execute_reply AND the matching status idle have arrived; minimal parsing, no signature
/// check. Everything runs on the poller's thread (NetMQ sockets are not thread-safe), started and joined per call.
/// </summary>
internal sealed class NetMQBareClient
{
    private static readonly byte[] Delimiter = "<IDS|MSG>"u8.ToArray();
    private readonly byte[] _key;
    private readonly string _shellEndpoint, _iopubEndpoint;
    private readonly string _session = Guid.NewGuid().ToString("N");

    public NetMQBareClient(string connectionFile)
    {
        var info = JupyterKernels.Connections.ConnectionFile.Read(connectionFile);
        _key = Encoding.UTF8.GetBytes(info.Key);
        _shellEndpoint = $"tcp://{info.Ip}:{info.ShellPort}";
        _iopubEndpoint = $"tcp://{info.Ip}:{info.IOPubPort}";
    }

    /// <summary>This process's CPU time spent during the timed round trips of the last <see cref="Run"/>.</summary>
    public TimeSpan TimedCpu { get; private set; }

    /// <summary>Connects, proves readiness with kernel_info (reply + idle), runs <paramref name="warmup"/> then
    /// <paramref name="n"/> timed executes of <paramref name="code"/>; returns each round trip in seconds.</summary>
    public List<double> Run(string code, int warmup, int n, TimeSpan bound)
    {
        var durations = new List<double>(n);
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try { RunOnThisThread(code, warmup, n, durations, bound); }
            catch (Exception e) { failure = e; }
        }) { IsBackground = true, Name = "bench netmq client" };
        thread.Start();
        if (!thread.Join(bound + TimeSpan.FromSeconds(10))) throw new TimeoutException("the NetMQ client did not finish");
        if (failure is not null) throw new InvalidOperationException("NetMQ client failed", failure);
        return durations;
    }

    private void RunOnThisThread(string code, int warmup, int n, List<double> durations, TimeSpan bound)
    {
        using var shell = new DealerSocket();
        using var iopub = new SubscriberSocket();
        shell.Options.Linger = TimeSpan.Zero;
        iopub.Options.Linger = TimeSpan.Zero;
        iopub.SubscribeToAnyTopic();
        shell.Connect(_shellEndpoint);
        iopub.Connect(_iopubEndpoint);
        using var poller = new NetMQPoller { shell, iopub };
        if (warmup == 0) throw new ArgumentOutOfRangeException(nameof(warmup), "at least one warm-up round trip (the CPU window starts after it)");

        string executeContent = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["code"] = code, ["silent"] = false, ["store_history"] = true, ["user_expressions"] = new Dictionary<string, object>(),
            ["allow_stdin"] = false, ["stop_on_error"] = true,
        });
        // State of the one request in flight; the poller thread alone reads and writes it.
        string msgId = "", replyType = "";
        bool gotReply = false, gotIdle = false, ready = false;
        int done = 0;
        long t0 = 0, readyDeadline = 0;
        TimeSpan cpuStart = TimeSpan.Zero;
        Exception? error = null;

        void SendNext()
        {
            if (!ready)
            {
                (msgId, replyType) = (Send(shell, "kernel_info_request", "{}"), "kernel_info_reply");
                readyDeadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency; // a SUB joins late: resend each second
            }
            else
            {
                t0 = Stopwatch.GetTimestamp();
                (msgId, replyType) = (Send(shell, "execute_request", executeContent), "execute_reply");
            }
            gotReply = gotIdle = false;
        }

        void Completed()
        {
            if (!ready) { ready = true; SendNext(); return; }
            if (done >= warmup) durations.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
            if (++done == warmup + n) { TimedCpu = ProcessCpu.Now() - cpuStart; poller.StopAsync(); return; }
            if (done == warmup) cpuStart = ProcessCpu.Now();
            SendNext();
        }

        List<byte[]>? frames = null;
        shell.ReceiveReady += (_, _) =>
        {
            while (shell.TryReceiveMultipartBytes(ref frames))
            {
                var (header, parent, _) = Split(frames!);
                if (ParentId(parent) == msgId && MsgType(header) == replyType) gotReply = true;
            }
            if (gotReply && gotIdle) Completed();
        };
        iopub.ReceiveReady += (_, _) =>
        {
            while (iopub.TryReceiveMultipartBytes(ref frames))
            {
                var (header, parent, content) = Split(frames!);
                if (MsgType(header) == "status" && ParentId(parent) == msgId && content.AsSpan().IndexOf("\"idle\""u8) >= 0) gotIdle = true;
            }
            if (gotReply && gotIdle) Completed();
        };
        var timer = new NetMQTimer(TimeSpan.FromMilliseconds(200));
        long deadline = Stopwatch.GetTimestamp() + (long)(bound.TotalSeconds * Stopwatch.Frequency);
        timer.Elapsed += (_, _) =>
        {
            long now = Stopwatch.GetTimestamp();
            if (now > deadline) { error = new TimeoutException($"NetMQ client: {done} of {warmup + n} round trips within {bound}"); poller.StopAsync(); }
            else if (!ready && now > readyDeadline) SendNext();
        };
        poller.Add(timer);
        SendNext();   // this thread is the poller's thread: Run() below runs the handlers here
        poller.Run();
        if (error is not null) throw error;
    }

    private string Send(DealerSocket shell, string msgType, string content)
    {
        var msgId = Guid.NewGuid().ToString("N");
        var header = Encoding.UTF8.GetBytes($"{{\"msg_id\":\"{msgId}\",\"session\":\"{_session}\",\"username\":\"bench\",\"msg_type\":\"{msgType}\",\"version\":\"5.3\",\"date\":\"2024-01-01T00:00:00.000000Z\"}}");
        var parent = "{}"u8.ToArray();
        var metadata = "{}"u8.ToArray();
        var body = Encoding.UTF8.GetBytes(content);
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
        hmac.AppendData(header);
        hmac.AppendData(parent);
        hmac.AppendData(metadata);
        hmac.AppendData(body);
        var signature = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(hmac.GetHashAndReset()));
        shell.SendMoreFrame(Delimiter).SendMoreFrame(signature).SendMoreFrame(header).SendMoreFrame(parent).SendMoreFrame(metadata).SendFrame(body);
        return msgId;
    }

    private static (byte[] Header, byte[] Parent, byte[] Content) Split(List<byte[]> frames)
    {
        int i = frames.FindIndex(f => f.AsSpan().SequenceEqual(Delimiter));
        return (frames[i + 2], frames[i + 3], frames[i + 5]);
    }

    private static string? MsgType(byte[] header)
    {
        using var doc = JsonDocument.Parse(header);
        return doc.RootElement.GetProperty("msg_type").GetString();
    }

    private static string? ParentId(byte[] parent)
    {
        using var doc = JsonDocument.Parse(parent);
        return doc.RootElement.TryGetProperty("msg_id", out var id) ? id.GetString() : null;
    }
}

/// <summary>This process's CPU time (user + system, all threads).</summary>
internal static class ProcessCpu
{
    public static TimeSpan Now()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }
}
