using JupyterKernels.Connections;
using NetMQ;
using NetMQ.Sockets;

namespace JupyterKernels.TestKernel;

/// <summary>The kernel's server sockets that send (heartbeat REP echoes by itself).</summary>
internal enum KernelSocket { Shell, Control, Stdin, IOPub }

/// <summary>
/// The test kernel's five server sockets on NetMQ, an implementation independent of the module's own ZMTP transport,
/// so every client test runs our client sockets against someone else's ZeroMQ. NetMQ sockets are not thread-safe:
/// all five belong to one <see cref="NetMQPoller"/> thread. Received messages are handed to callbacks on that thread;
/// sends from any other thread (shell workers, control, subshells) go through one <see cref="NetMQQueue{T}"/> that the
/// poller drains, so messages leave in the order they were sent, across sockets too (busy before the reply before idle).
/// </summary>
internal sealed class KernelSockets : IDisposable
{
    private static readonly TimeSpan Linger = TimeSpan.FromSeconds(1);
    private readonly RouterSocket _shell = new(), _control = new(), _stdin = new();
    private readonly XPublisherSocket _iopub = new();
    private readonly ResponseSocket _hb = new();
    private readonly NetMQQueue<Outgoing> _outgoing = new();
    private readonly NetMQPoller _poller;
    private readonly Action<KernelSocket, List<byte[]>> _onMessage;
    private readonly Func<byte[], IReadOnlyList<ReadOnlyMemory<byte>>> _welcome;
    private int _closed;

    private readonly record struct Outgoing(KernelSocket Socket, byte[][]? Frames, TaskCompletionSource? Flushed);

    /// <param name="onMessage">A message on shell, control or stdin (identities first), on the poller thread.</param>
    /// <param name="welcome">The frames to publish for a new IOPub subscription (its topic), on the poller thread.</param>
    public KernelSockets(Action<KernelSocket, List<byte[]>> onMessage, Func<byte[], IReadOnlyList<ReadOnlyMemory<byte>>> welcome)
    {
        _onMessage = onMessage;
        _welcome = welcome;
        foreach (var socket in new NetMQSocket[] { _shell, _control, _stdin, _iopub, _hb })
        {
            socket.Options.Linger = Linger;
            // No high-water mark: our transport's server sockets never dropped a message, so neither may these
            // (a flood test must see every line).
            socket.Options.SendHighWatermark = 0;
            socket.Options.ReceiveHighWatermark = 0;
        }
        _shell.ReceiveReady += (_, _) => Drain(_shell, KernelSocket.Shell);
        _control.ReceiveReady += (_, _) => Drain(_control, KernelSocket.Control);
        _stdin.ReceiveReady += (_, _) => Drain(_stdin, KernelSocket.Stdin);
        _iopub.ReceiveReady += (_, _) => OnSubscriptions();
        _hb.ReceiveReady += (_, _) =>
        {
            List<byte[]>? ping = null;
            while (_hb.TryReceiveMultipartBytes(ref ping)) _hb.SendMultipartBytes(ping!);
        };
        _outgoing.ReceiveReady += (_, _) => SendQueued();
        _poller = new NetMQPoller { _shell, _control, _stdin, _iopub, _hb, _outgoing };
    }

    /// <summary>Binds every socket to its port of the connection file and starts the poller thread.</summary>
    public void Start(ConnectionInfo info)
    {
        string Ep(int port) => $"tcp://{info.Ip}:{port}";
        _shell.Bind(Ep(info.ShellPort));
        _control.Bind(Ep(info.ControlPort));
        _stdin.Bind(Ep(info.StdinPort));
        _iopub.Bind(Ep(info.IOPubPort));
        _hb.Bind(Ep(info.HbPort));
        new Thread(_poller.Run) { IsBackground = true, Name = "testkernel netmq" }.Start();
    }

    /// <summary>Queues a message for <paramref name="socket"/>; any thread. Dropped once closed.</summary>
    public void Send(KernelSocket socket, IReadOnlyList<ReadOnlyMemory<byte>> frames)
    {
        if (Volatile.Read(ref _closed) != 0) return;
        var copy = new byte[frames.Count][];
        for (int i = 0; i < copy.Length; i++) copy[i] = frames[i].ToArray();
        try { _outgoing.Enqueue(new Outgoing(socket, copy, null)); }
        catch (ObjectDisposedException) { /* closed meanwhile: the process is ending */ }
    }

    /// <summary>Completes once everything queued before it has been handed to NetMQ (or at <paramref name="timeout"/>).</summary>
    public Task FlushAsync(TimeSpan timeout)
    {
        if (Volatile.Read(ref _closed) != 0 || !_poller.IsRunning) return Task.CompletedTask;
        var flushed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        try { _outgoing.Enqueue(new Outgoing(default, null, flushed)); }
        catch (ObjectDisposedException) { return Task.CompletedTask; }
        return flushed.Task.WaitAsync(timeout).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private void Drain(RouterSocket socket, KernelSocket which)
    {
        while (true)
        {
            List<byte[]>? frames = null; // a fresh list each time: the decoded message keeps the identity frames
            if (!socket.TryReceiveMultipartBytes(ref frames)) return;
            try { _onMessage(which, frames!); }
            catch (Exception e) { KernelServer.Log($"{which}: handler failed: {e}"); }
        }
    }

    private void OnSubscriptions()
    {
        List<byte[]>? frames = null;
        while (_iopub.TryReceiveMultipartBytes(ref frames))
        {
            // XPUB hands up 0x01+topic for a subscription (0x00+topic for an unsubscription); non-verbose, as libzmq's
            // default: only a topic's first subscriber is reported.
            var first = frames![0];
            if (first.Length == 0 || first[0] != 1) continue;
            SendNow(_iopub, _welcome(first[1..]));
        }
    }

    private void SendQueued()
    {
        while (_outgoing.TryDequeue(out var item, TimeSpan.Zero))
        {
            if (item.Flushed is { } flushed) { flushed.TrySetResult(); continue; }
            NetMQSocket socket = item.Socket switch
            {
                KernelSocket.Shell => _shell,
                KernelSocket.Control => _control,
                KernelSocket.Stdin => _stdin,
                _ => _iopub,
            };
            var frames = item.Frames!;
            for (int i = 0; i < frames.Length; i++) socket.SendFrame(frames[i], more: i < frames.Length - 1);
        }
    }

    private static void SendNow(NetMQSocket socket, IReadOnlyList<ReadOnlyMemory<byte>> frames)
    {
        for (int i = 0; i < frames.Count; i++) socket.SendFrame(frames[i].ToArray(), more: i < frames.Count - 1);
    }

    /// <summary>Flushes what is queued (bounded), stops the poller and closes the sockets; queued messages then have
    /// <see cref="Linger"/> to reach the wire. Idempotent; any thread but the poller's.</summary>
    public void Dispose()
    {
        if (!_poller.IsRunning || Interlocked.Exchange(ref _closed, 1) != 0) return;
        var flushed = new TaskCompletionSource();
        _outgoing.Enqueue(new Outgoing(default, null, flushed));
        flushed.Task.Wait(TimeSpan.FromSeconds(1));
        try
        {
            _poller.Stop();
            _poller.Dispose(); // before the sockets: a poller refuses to be disposed holding disposed sockets
            foreach (var socket in new NetMQSocket[] { _shell, _control, _stdin, _iopub, _hb }) socket.Dispose();
            _outgoing.Dispose();
            // Waits for the sockets' linger: what was sent before goes out before the process ends.
            var cleanup = Task.Run(() => NetMQConfig.Cleanup(block: true));
            cleanup.Wait(Linger + TimeSpan.FromSeconds(1));
        }
        catch (Exception e) when (e is NetMQException or ObjectDisposedException or InvalidOperationException)
        {
            KernelServer.Log($"closing sockets: {e.Message}");
        }
    }
}
