using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace JupyterKernels.Transport.Sockets;

/// <summary>
/// The process's one I/O thread on Linux (libzmq's io_thread): a single epoll instance watches every socket of every
/// connection, edge-triggered, and completes the waiting read or write inline on this thread, so the read loop,
/// the HMAC check and the client's dispatch run straight on from the wake-up, as on a per-socket thread before, but
/// the thread count no longer grows with the number of connected kernels (a kernel is five sockets).
/// Sockets register lazily (on their first wait), once, for both directions; a readiness nobody waits for is kept
/// as a flag (see <see cref="EpollReadiness"/>). No wake-up descriptor is needed: epoll_ctl from any thread takes
/// effect in a running epoll_wait, and the thread lives as long as the process (it costs nothing while idle).
/// Anything that runs on this thread must not block: it stalls every connection of the process.
/// </summary>
internal static partial class EpollIoThread
{
    private const int EpollCloexec = 0x80000;
    private const int CtlAdd = 1, CtlDel = 2;
    private const uint EpollIn = 0x001, EpollOut = 0x004, EpollErr = 0x008, EpollHup = 0x010, EpollRdHup = 0x2000;
    private const uint EpollEdgeTriggered = 1u << 31;
    private const int EINTR = 4;
    private const int MaxEvents = 256;

    // struct epoll_event is packed on x86-64 (12 bytes: events, then data at offset 4) and naturally aligned
    // elsewhere (16 bytes, data at offset 8).
    private static readonly bool Packed = RuntimeInformation.ProcessArchitecture == Architecture.X64;
    private static readonly int EventSize = Packed ? 12 : 16;
    private static readonly int DataOffset = Packed ? 4 : 8;

    private static readonly ConcurrentDictionary<ulong, EpollRegistration> Registrations = new();
    private static readonly Lazy<int> Epoll = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);
    private static long _nextId;

    /// <summary>True where this poller is used (Linux); elsewhere each socket has its <see cref="ReadinessWaiter"/>s.
    /// JUPYTERKERNELS_ZMTP_POLLER=thread forces the per-socket path (for comparisons).</summary>
    public static bool IsSupported { get; } = OperatingSystem.IsLinux()
        && Environment.GetEnvironmentVariable("JUPYTERKERNELS_ZMTP_POLLER") != "thread";

    /// <summary>The I/O thread's managed id once started (tests: what runs inline where).</summary>
    public static int ThreadId { get; private set; }

    /// <summary>Sockets registered now (tests: nothing stays registered after disposal).</summary>
    public static int RegisteredCount => Registrations.Count;

    public static IReadiness[] CreatePair(Socket socket)
    {
        var registration = new EpollRegistration(socket);
        return new IReadiness[] { registration.Readable, registration.Writable };
    }

    /// <summary>Adds the socket to the epoll set for both directions, edge-triggered; returns its key.</summary>
    internal static unsafe ulong Register(EpollRegistration registration, Socket socket)
    {
        int epfd = Epoll.Value;
        ulong id = (ulong)Interlocked.Increment(ref _nextId);
        Registrations[id] = registration;
        byte* ev = stackalloc byte[16];
        *(uint*)ev = EpollIn | EpollOut | EpollRdHup | EpollEdgeTriggered;
        *(ulong*)(ev + DataOffset) = id;
        int fd = (int)socket.SafeHandle.DangerousGetHandle();
        if (EpollCtl(epfd, CtlAdd, fd, ev) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            Registrations.TryRemove(id, out _);
            throw new IOException($"epoll_ctl(ADD) failed: errno {errno}");
        }
        return id;
    }

    /// <summary>Removes the socket (before it is closed: the descriptor number may be reused at once). Events already
    /// harvested for it find no registration and are dropped.</summary>
    internal static unsafe void Unregister(ulong id, Socket socket)
    {
        Registrations.TryRemove(id, out _);
        try
        {
            byte* ev = stackalloc byte[16];
            EpollCtl(Epoll.Value, CtlDel, (int)socket.SafeHandle.DangerousGetHandle(), ev);
        }
        catch (ObjectDisposedException) { /* closed already: the kernel dropped it from the set */ }
    }

    private static int Start()
    {
        int epfd = EpollCreate1(EpollCloexec);
        if (epfd < 0) throw new IOException($"epoll_create1 failed: errno {Marshal.GetLastPInvokeError()}");
        var thread = new Thread(() => Run(epfd), 256 * 1024) { IsBackground = true, Name = "ZMTP I/O" };
        thread.UnsafeStart();
        return epfd;
    }

    private static unsafe void Run(int epfd)
    {
        ThreadId = Environment.CurrentManagedThreadId;
        byte* events = (byte*)NativeMemory.Alloc((nuint)(MaxEvents * EventSize));
        while (true)
        {
            int n = EpollWait(epfd, events, MaxEvents, -1);
            if (n < 0)
            {
                if (Marshal.GetLastPInvokeError() == EINTR) continue;
                Thread.Sleep(10); // never spin on an unexpected failure
                continue;
            }
            for (int i = 0; i < n; i++)
            {
                byte* ev = events + i * EventSize;
                uint flags = *(uint*)ev;
                ulong id = *(ulong*)(ev + DataOffset);
                if (!Registrations.TryGetValue(id, out var registration)) continue;
                try
                {
                    if ((flags & (EpollIn | EpollErr | EpollHup | EpollRdHup)) != 0) registration.Readable.Signal();
                    if ((flags & (EpollOut | EpollErr | EpollHup)) != 0) registration.Writable.Signal();
                }
                catch (Exception)
                {
                    // A continuation's fault belongs to its own task; nothing may end this thread.
                }
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    private static partial int EpollCreate1(int flags);

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    private static unsafe partial int EpollCtl(int epfd, int op, int fd, byte* ev);

    [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    private static unsafe partial int EpollWait(int epfd, byte* events, int maxEvents, int timeout);
}
