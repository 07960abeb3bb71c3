using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using JupyterKernels.Transport.Zmq;

namespace JupyterKernels.Tests.Zmtp;

/// <summary>Shared helpers: bounded waits, payload builders, free ports.</summary>
internal static class T
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static CancellationToken Token(double seconds = 10) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    public static ReadOnlyMemory<byte>[] Msg(params string[] frames) => frames.Select(f => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes(f)).ToArray();

    public static ReadOnlyMemory<byte>[] Msg(params byte[][] frames) => frames.Select(f => (ReadOnlyMemory<byte>)f).ToArray();

    public static string S(byte[] b) => Encoding.UTF8.GetString(b);

    public static byte[] Payload(int size, int seed)
    {
        var b = new byte[size];
        for (int i = 0; i < size; i++) b[i] = (byte)(i * 31 + seed);
        return b;
    }

    /// <summary>Same pattern as zmq_peer.py payload().</summary>
    public static byte[] PyPayload(int size, int seed)
    {
        if (size < 4096) return Payload(size, seed);
        var b = new byte[size];
        for (int i = 0; i < size; i++) b[i] = (byte)i;
        return b;
    }

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public static ZmqSocketOptions Fast => new()
    {
        ReconnectInterval = TimeSpan.FromMilliseconds(20),
        ReconnectIntervalMax = TimeSpan.FromMilliseconds(200),
        Linger = TimeSpan.FromMilliseconds(200),
    };

    /// <summary>Receives, giving up after <paramref name="seconds"/>.</summary>
    public static async Task<ZmqMessage> Recv(IZmqSocket s, double seconds = 10)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        return await s.ReceiveAsync(cts.Token);
    }

    public static async Task Send(IZmqSocket s, ReadOnlyMemory<byte>[] frames, double seconds = 10)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        await s.SendAsync(frames, cts.Token);
    }

    /// <summary>Waits until a ConnectionEvent of the given kind was raised.</summary>
    public static Task<ZmqConnectionEvent> WaitEvent(IZmqSocket s, ZmqConnectionEventKind kind)
    {
        var tcs = new TaskCompletionSource<ZmqConnectionEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        s.ConnectionEvent += (_, e) => { if (e.Kind == kind) tcs.TrySetResult(e); };
        return tcs.Task.WaitAsync(Timeout);
    }
}

/// <summary>A pyzmq (libzmq) peer process running tests/Unit/Transport/Zmq/peers/zmq_peer.py with Debian's python3-zmq.</summary>
internal sealed class PyPeer : IAsyncDisposable
{
    private const string Python = "/usr/bin/python3";
    private readonly Process _process;
    private readonly System.Threading.Channels.Channel<string> _lines = System.Threading.Channels.Channel.CreateUnbounded<string>();

    static PyPeer()
    {
        // On Unix, Process's async stdout/stderr readers block a thread-pool thread each. In a fresh test host
        // on a 2-core machine that starves the pool (min threads = cores), our socket continuations then wait
        // ~0.5 s for thread injection, and libzmq's 300 ms heartbeat timeout dropped the connection. Give the
        // pool headroom so the harness, not the code under test, pays for its blocking reads.
        ThreadPool.GetMinThreads(out int workers, out int io);
        ThreadPool.SetMinThreads(Math.Max(workers, 16), io);
    }

    private PyPeer(Process p)
    {
        _process = p;
        p.OutputDataReceived += (_, e) => { if (e.Data is null) _lines.Writer.TryComplete(); else _lines.Writer.TryWrite(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) Stderr.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
    }

    public StringBuilder Stderr { get; } = new();

    public int Pid => _process.Id;

    /// <summary>SIGSTOP / SIGCONT the peer (freeze it as a hung host would be, then thaw it).</summary>
    public void Signal(string signal) => Process.Start("kill", new[] { "-" + signal, Pid.ToString() })!.WaitForExit();


    public static PyPeer Start(params string[] args)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "Transport", "Zmq", "peers", "zmq_peer.py");
        var psi = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("-u");
        psi.ArgumentList.Add(script);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return new PyPeer(Process.Start(psi)!);
    }

    public async Task<string> ReadLineAsync(double seconds = 10)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        try { return await _lines.Reader.ReadAsync(cts.Token); }
        catch (Exception e) { throw new TimeoutException($"no line from python peer; stderr: {Stderr}", e); }
    }

    /// <summary>Waits for "READY port" and returns the port.</summary>
    public async Task<int> ReadyAsync()
    {
        var line = await ReadLineAsync();
        Assert.StartsWith("READY ", line);
        return int.Parse(line["READY ".Length..]);
    }

    public async Task<int> WaitExitAsync(double seconds = 20)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public void Kill()
    {
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); } catch (Exception) { }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        try { await WaitExitAsync(5); } catch (Exception) { }
        _process.Dispose();
    }
}

/// <summary>Disables parallelism for tests that measure process-wide memory or CPU.</summary>
[CollectionDefinition("ZmtpSerial", DisableParallelization = true)]
public sealed class ZmtpSerialCollection { }
