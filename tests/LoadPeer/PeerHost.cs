using JupyterKernels.Connections;
using NetMQ;
using NetMQ.Sockets;

namespace JupyterKernels.LoadPeer;

/// <summary>
/// Owns the one <see cref="NetMQPoller"/> and every socket. NetMQ sockets are not thread-safe: every socket is created
/// before the poller runs, and afterwards touched only by handlers on the poller thread (a kernel's shutdown disposes
/// its sockets there too). One stdin ROUTER is shared by all kernels: nothing here sends input_request, and a socket
/// per kernel would cost three more descriptors each (20,000 is the usual hard limit).
/// </summary>
public sealed class PeerHost : IDisposable
{
    private readonly NetMQPoller _poller;
    private readonly List<VirtualKernel> _kernels = new();
    private RouterSocket? _stdin;
    private Thread? _thread;
    private int _alive;
    private long _requests;

    public PeerHost(int maxKernels)
    {
        // NetMQ, like libzmq, refuses more than 1,024 sockets per context; the limit is read when the context is
        // created, i.e. by the first socket or poller.
        NetMQConfig.MaxSockets = Math.Max(NetMQConfig.MaxSockets, maxKernels * 4 + 64);
        _poller = new NetMQPoller();
    }

    public event Action? AllShutDown;

    public long RequestsHandled => Interlocked.Read(ref _requests);

    public void Start(int count, string dir)
    {
        _stdin = new RouterSocket();
        _stdin.Options.Linger = TimeSpan.Zero;
        int stdinPort = _stdin.BindRandomPort("tcp://127.0.0.1");
        _stdin.ReceiveReady += (_, e) => { List<byte[]>? frames = null; while (e.Socket.TryReceiveMultipartBytes(ref frames)) { } };
        _poller.Add(_stdin);
        for (int i = 0; i < count; i++)
        {
            var kernel = new VirtualKernel(i, stdinPort, _poller, OnRequest, OnShutDown);
            _kernels.Add(kernel);
            ConnectionFile.WriteAsync(Path.Combine(dir, $"kernel-{i}.json"), kernel.Connection).GetAwaiter().GetResult();
        }
        _alive = count;
        _thread = new Thread(_poller.Run) { IsBackground = true, Name = "loadpeer-poller" };
        _thread.Start();
    }

    private void OnRequest() => Interlocked.Increment(ref _requests);

    private void OnShutDown()
    {
        if (Interlocked.Decrement(ref _alive) == 0) AllShutDown?.Invoke();
    }

    public void Dispose()
    {
        // The poller first (it refuses to be disposed holding disposed sockets), then the sockets.
        if (_poller.IsRunning) _poller.Stop();
        _poller.Dispose();
        foreach (var kernel in _kernels) kernel.Dispose();
        _stdin?.Dispose();
    }
}
