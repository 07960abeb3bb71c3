using JupyterKernels.Connections;
using NetMQ;
using NetMQ.Sockets;

namespace JupyterKernels.LoadPeer;

/// <summary>
/// Owns the pollers and every socket. A <see cref="NetMQPoller"/> checks every socket it holds on each wake, so a wake
/// costs O(sockets): one poller for 4,000 sockets made a single round trip ~40 ms. Kernels are therefore spread over
/// pollers of <c>kernelsPerPoller</c> kernels each (default 100), round-robin, all of one kernel's sockets on the same
/// poller. NetMQ
/// sockets are not thread-safe: every socket is created before its poller runs and afterwards touched only by
/// handlers on that poller's thread (a kernel's shutdown disposes its sockets there too). One stdin ROUTER is shared
/// by all kernels: nothing here sends input_request, and a socket per kernel would cost three more descriptors each
/// (20,000 is the usual hard limit).
/// </summary>
internal sealed class PeerHost : IDisposable
{
    public const int DefaultKernelsPerPoller = 100;

    private readonly List<NetMQPoller> _pollers = new();
    private readonly List<VirtualKernel> _kernels = new();
    private RouterSocket? _stdin;
    private int _alive;
    private long _requests;

    public PeerHost(int maxKernels)
    {
        // NetMQ, like libzmq, refuses more than 1,024 sockets per context; the limit is read when the context is
        // created, i.e. by the first socket or poller.
        NetMQConfig.MaxSockets = Math.Max(NetMQConfig.MaxSockets, maxKernels * 4 + 64);
    }

    public event Action? AllShutDown;

    public long RequestsHandled => Interlocked.Read(ref _requests);

    public int PollerCount => _pollers.Count;

    public void Start(int count, string dir, int kernelsPerPoller = DefaultKernelsPerPoller)
    {
        if (kernelsPerPoller < 1) throw new ArgumentOutOfRangeException(nameof(kernelsPerPoller));
        for (int p = 0; p < (count + kernelsPerPoller - 1) / kernelsPerPoller; p++) _pollers.Add(new NetMQPoller());
        _stdin = new RouterSocket();
        _stdin.Options.Linger = TimeSpan.Zero;
        int stdinPort = _stdin.BindRandomPort("tcp://127.0.0.1");
        _stdin.ReceiveReady += (_, e) => { List<byte[]>? frames = null; while (e.Socket.TryReceiveMultipartBytes(ref frames)) { } };
        _pollers[0].Add(_stdin);
        for (int i = 0; i < count; i++)
        {
            // Round-robin, so neighbouring kernels (a bench's "first 100") land on different pollers.
            var kernel = new VirtualKernel(i, stdinPort, _pollers[i % _pollers.Count], OnRequest, OnShutDown);
            _kernels.Add(kernel);
            ConnectionFile.WriteAsync(Path.Combine(dir, $"kernel-{i}.json"), kernel.Connection).GetAwaiter().GetResult();
        }
        _alive = count;
        for (int p = 0; p < _pollers.Count; p++)
            new Thread(_pollers[p].Run) { IsBackground = true, Name = $"loadpeer-poller-{p}" }.Start();
    }

    private void OnRequest() => Interlocked.Increment(ref _requests);

    private void OnShutDown()
    {
        if (Interlocked.Decrement(ref _alive) == 0) AllShutDown?.Invoke();
    }

    public void Dispose()
    {
        // The pollers first (a poller refuses to be disposed holding disposed sockets), then the sockets.
        foreach (var poller in _pollers)
        {
            if (poller.IsRunning) poller.Stop();
            poller.Dispose();
        }
        foreach (var kernel in _kernels) kernel.Dispose();
        _stdin?.Dispose();
    }
}
