using System.Net.Sockets;
using System.Threading.Tasks.Sources;

namespace JupyterKernels.Transport.Sockets;

/// <summary>
/// Waits for one socket to become readable (or writable) on a dedicated thread blocked in poll(), and completes the
/// waiter <em>on that thread</em>: whatever awaits it (the read loop: decode, deliver, the consumer's dispatch) runs
/// straight on from the one wake-up, as in libzmq's I/O thread. The thread is created on demand, costs no CPU while
/// idle (it blocks in poll, or on a semaphore while nothing waits), and exits on <see cref="Close"/> or after
/// <see cref="IdleExit"/> without waits: a read waiter always has a read pending, a write waiter is needed only
/// while connecting and while the peer does not keep up.
/// </summary>
internal sealed class ReadinessWaiter : IReadiness, IValueTaskSource
{
    private const int ThreadStackSize = 256 * 1024;
    private static readonly TimeSpan IdleExit = TimeSpan.FromSeconds(5);

    private readonly Socket _socket;
    private readonly SelectMode _mode;
    private readonly string _threadName;
    // Poll in slices as a safety net for Close(): shutting a connected socket down wakes poll() at once, but a socket
    // still connecting, or one closed without shutdown, is only noticed at the end of a slice.
    private readonly int _sliceMicroseconds;
    private readonly SemaphoreSlim _requested = new(0, 1);
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = false };
    private int _threadRunning;
    private volatile bool _waiting;
    private volatile bool _closed;

    public ReadinessWaiter(Socket socket, SelectMode mode, string threadName, TimeSpan slice)
    {
        _socket = socket;
        _mode = mode;
        _threadName = threadName;
        _sliceMicroseconds = (int)Math.Clamp(slice.TotalMicroseconds, 1_000, int.MaxValue);
    }

    /// <summary>Completes when the socket is ready (or has failed: the next I/O call reports how). Fails with an
    /// IOException once closed. One wait at a time.</summary>
    public ValueTask WaitAsync()
    {
        if (_closed) return ValueTask.FromException(new IOException("the connection was closed"));
        _core.Reset();
        _waiting = true;
        try { _requested.Release(); } catch (SemaphoreFullException) { /* Close() raced us: the thread fails the wait */ }
        // After signalling: a thread that is just exiting for idleness re-checks _waiting (see Run).
        if (Interlocked.CompareExchange(ref _threadRunning, 1, 0) == 0)
            new Thread(Run, ThreadStackSize) { IsBackground = true, Name = _threadName }.UnsafeStart();
        return new ValueTask(this, _core.Version);
    }

    /// <summary>Fails a pending wait (IOException) and ends the thread. Idempotent.</summary>
    public void Close()
    {
        if (_closed) return;
        _closed = true;
        try { _requested.Release(); } catch (SemaphoreFullException) { /* a wait is already signalled: the thread sees _closed */ }
    }

    private void Run()
    {
        while (true)
        {
            if (!_requested.Wait(IdleExit))
            {
                Interlocked.Exchange(ref _threadRunning, 0);
                // A wait registered just now either sees _threadRunning == 0 and starts a thread, or we see it here.
                if (!_waiting || Interlocked.CompareExchange(ref _threadRunning, 1, 0) != 0) return;
                continue;
            }
            if (!_waiting)
            {
                if (_closed) return;
                continue;
            }
            _waiting = false;
            try
            {
                while (!_socket.Poll(_sliceMicroseconds, _mode))
                {
                    if (_closed) throw new IOException("the connection was closed");
                    // Windows reports a failed connect in the error set, never as writable: let the caller see it.
                    if (_mode == SelectMode.SelectWrite && _socket.Poll(0, SelectMode.SelectError)) break;
                }
            }
            catch (Exception e)
            {
                _core.SetException(e is ObjectDisposedException ? new IOException("the connection was closed", e) : e);
                if (_closed) return;
                continue;
            }
            // Runs the awaiting code inline, on this thread, until it waits again.
            _core.SetResult(true);
        }
    }

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);
    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);
    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token, flags);
}
