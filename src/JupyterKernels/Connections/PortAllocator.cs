using System.Net;
using System.Net.Sockets;

namespace JupyterKernels.Connections;

/// <summary>
/// Picks free TCP ports for a kernel's connection file. The OS chooses (bind to port 0); the port is then released
/// for the kernel to bind, which leaves a window in which another start in this process could be given the same
/// port. Like jupyter_client's LocalPortCache, every port handed out is remembered until returned, so this process
/// never hands out the same port twice (other processes can still take it: the launcher must handle PortInUse).
/// </summary>
internal sealed class PortAllocator
{
    private readonly HashSet<int> _issued = new();
    private readonly object _gate = new();

    /// <summary>The process-wide allocator (one set of issued ports per process).</summary>
    public static PortAllocator Shared { get; } = new();

    /// <summary>How many ports are currently marked as issued.</summary>
    public int IssuedCount
    {
        get
        {
            lock (_gate)
            {
                return _issued.Count;
            }
        }
    }

    /// <summary>
    /// <paramref name="count"/> distinct free ports on <paramref name="ip"/>, none issued before and not returned.
    /// All sockets are held open until every port is picked, so the OS cannot give the same port twice within a call.
    /// </summary>
    public IReadOnlyList<int> AllocatePorts(int count = 5, string ip = "127.0.0.1")
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var address = IPAddress.Parse(ip);
        var held = new List<Socket>();
        var ports = new List<int>(count);
        try
        {
            // Bounded: if the ephemeral range were exhausted by our own cache we must fail rather than spin.
            for (var attempt = 0; ports.Count < count && attempt < count * 200; attempt++)
            {
                var socket = BindEphemeral(address);
                held.Add(socket);
                var port = ((IPEndPoint)socket.LocalEndPoint!).Port;
                lock (_gate)
                {
                    if (_issued.Add(port))
                    {
                        ports.Add(port);
                    }
                }
            }
        }
        finally
        {
            foreach (var socket in held)
            {
                socket.Dispose();
            }
        }
        if (ports.Count < count)
        {
            ReturnPorts(ports);
            throw new KernelException(ErrorIds.PortInUse, KernelErrorCategory.ResourceUnavailable,
                $"Could not find {count} free TCP ports on {ip}.", ip);
        }
        return ports;
    }

    /// <summary>Forget ports of a kernel that is gone, so they may be issued again.</summary>
    public void ReturnPorts(IEnumerable<int> ports)
    {
        lock (_gate)
        {
            foreach (var port in ports)
            {
                _issued.Remove(port);
            }
        }
    }

    /// <summary>Whether <paramref name="port"/> can be bound on <paramref name="ip"/> right now (a snapshot: it may be taken a moment later).</summary>
    public static bool IsPortFree(int port, string ip = "127.0.0.1")
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        var address = IPAddress.Parse(ip);
        using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(address, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static Socket BindEphemeral(IPAddress address)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // jupyter_client sets SO_LINGER 0 so closing never leaves the port in TIME_WAIT.
            socket.LingerState = new LingerOption(true, 0);
            socket.Bind(new IPEndPoint(address, 0));
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
