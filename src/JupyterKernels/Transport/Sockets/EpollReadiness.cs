using System.Net.Sockets;
using System.Threading.Tasks.Sources;

namespace JupyterKernels.Transport.Sockets;

/// <summary>One socket in the I/O thread's epoll set: registered on the first wait of either direction, removed when
/// both directions are closed (which <see cref="NonBlockingSocket.Close"/> does before closing the descriptor).</summary>
internal sealed class EpollRegistration
{
    private readonly Socket _socket;
    private readonly object _gate = new();
    private ulong _id;
    private int _open = 2;

    public EpollRegistration(Socket socket)
    {
        _socket = socket;
        Readable = new EpollReadiness(this);
        Writable = new EpollReadiness(this);
    }

    public EpollReadiness Readable { get; }
    public EpollReadiness Writable { get; }

    /// <summary>Registers once. Edge-triggered registration reports a state that is already ready at once, so
    /// registering late (after a connect() call, before the first wait) misses nothing.</summary>
    public void EnsureRegistered()
    {
        if (Volatile.Read(ref _id) != 0) return;
        lock (_gate)
        {
            if (_id != 0 || _open < 2) return;
            _id = EpollIoThread.Register(this, _socket);
        }
    }

    public void OnDirectionClosed()
    {
        lock (_gate)
        {
            if (--_open != 0 || _id == 0) return;
            EpollIoThread.Unregister(_id, _socket);
        }
    }
}

/// <summary>
/// One direction of an edge-triggered registration. Edges come whether or not anyone waits, so the state keeps an
/// edge that arrived with no waiter (Ready): the next wait returns at once and the caller's non-blocking call tells
/// whether there really is something (at worst one needless call). Waiting = a caller's continuation that the I/O
/// thread runs inline on the next edge.
/// </summary>
internal sealed class EpollReadiness : IReadiness, IValueTaskSource
{
    private const int Idle = 0, Ready = 1, Waiting = 2, Closed = 3;
    private readonly EpollRegistration _registration;
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = false };
    private int _state;

    public EpollReadiness(EpollRegistration registration) => _registration = registration;

    public ValueTask WaitAsync()
    {
        if (Volatile.Read(ref _state) == Closed) return ValueTask.FromException(new IOException("the connection was closed"));
        _registration.EnsureRegistered();
        _core.Reset();
        while (true)
        {
            switch (Volatile.Read(ref _state))
            {
                case Ready:
                    if (Interlocked.CompareExchange(ref _state, Idle, Ready) == Ready) return ValueTask.CompletedTask;
                    break;
                case Idle:
                    if (Interlocked.CompareExchange(ref _state, Waiting, Idle) == Idle) return new ValueTask(this, _core.Version);
                    break;
                case Closed:
                    return ValueTask.FromException(new IOException("the connection was closed"));
                default:
                    throw new InvalidOperationException("one wait at a time");
            }
        }
    }

    /// <summary>On the I/O thread: completes a waiter inline, or remembers the edge.</summary>
    internal void Signal()
    {
        while (true)
        {
            switch (Volatile.Read(ref _state))
            {
                case Waiting:
                    if (Interlocked.CompareExchange(ref _state, Idle, Waiting) != Waiting) continue;
                    _core.SetResult(true); // runs the awaiting code inline, until it waits again
                    return;
                case Idle:
                    if (Interlocked.CompareExchange(ref _state, Ready, Idle) != Idle) continue;
                    return;
                default:
                    return; // Ready already, or Closed
            }
        }
    }

    public void Close()
    {
        int previous = Interlocked.Exchange(ref _state, Closed);
        if (previous == Closed) return;
        _registration.OnDirectionClosed();
        if (previous == Waiting)
        {
            // Not inline: the closer may hold a lock (ZmqSocketBase.DisposeAsync closes under Sync) that the failing
            // read loop's unwinding would take again on the same thread.
            ThreadPool.UnsafeQueueUserWorkItem(static s => s._core.SetException(new IOException("the connection was closed")), this, preferLocal: false);
        }
    }

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);
    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);
    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token, flags);
}
