using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

using JupyterKernels.Transport.Sockets;

namespace JupyterKernels.Transport.Zmq;

/// <summary>
/// A bound TCP endpoint: accepts connections and runs each as a <see cref="ZmtpConnection"/> of its socket.
/// The listening side exists for tests and benchmarks only (a kernel client only connects); it runs for the
/// socket's lifetime through <see cref="ZmqSocketBase.RunWhileOpen"/>.
/// </summary>
internal sealed class Listener
{
    private readonly ZmqSocketBase _owner;
    private readonly Socket _listenSocket;
    private readonly string _name;
    private readonly ConcurrentDictionary<ZmtpConnection, Task> _accepted = new();

    private Listener(ZmqSocketBase owner, Socket listenSocket, string name)
    {
        _owner = owner;
        _listenSocket = listenSocket;
        _name = name;
    }

    public int Port => ((IPEndPoint)_listenSocket.LocalEndPoint!).Port;

    public static Listener Bind(ZmqSocketBase owner, Endpoint endpoint)
    {
        var address = BindAddress(endpoint.Host);
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(address, endpoint.Port));
            socket.Listen(128);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new ZmqException($"Cannot bind {endpoint}: {e.Message}", e);
        }
        int port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        return new Listener(owner, socket, new Endpoint(endpoint.Host, port).ToString());
    }

    /// <summary>Address to bind: '*' means all IPv4 interfaces (libzmq default without IPv6), 'localhost' loopback.</summary>
    private static IPAddress BindAddress(string host)
    {
        if (host == "*" || host == "0.0.0.0") return IPAddress.Any;
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)) return IPAddress.Loopback;
        if (IPAddress.TryParse(host, out var ip)) return ip;
        throw new ZmqException($"Cannot bind to '{host}': use an IP address, 'localhost' or '*'.");
    }

    /// <summary>Accepts until the socket is disposed, then waits for the accepted connections to end.</summary>
    public async Task AcceptLoopAsync(CancellationToken ct)
    {
        using (ct.Register(() => _listenSocket.Dispose()))
        {
            while (!ct.IsCancellationRequested)
            {
                Socket accepted;
                try
                {
                    accepted = await _listenSocket.AcceptAsync(ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException
                                              || (e is SocketException && ct.IsCancellationRequested))
                {
                    break;
                }
                catch (SocketException)
                {
                    // Transient accept failure (e.g. too many open files): don't spin.
                    try { await Task.Delay(100, ct).ConfigureAwait(false); } catch (OperationCanceledException) { break; }
                    continue;
                }
                string name = accepted.RemoteEndPoint is IPEndPoint remote ? $"{_name} <- {remote}" : _name;
                var connection = new ZmtpConnection(_owner, new NonBlockingSocket(accepted, name), name, outbound: false);
                Track(connection, ct);
            }
        }
        try { await Task.WhenAll(_accepted.Values).ConfigureAwait(false); }
        catch (Exception) { /* a failed connection has already closed itself */ }
    }

    private void Track(ZmtpConnection connection, CancellationToken ct)
    {
        var task = Task.Run(async () =>
        {
            try { await connection.RunAsync(ct).ConfigureAwait(false); }
            finally { _accepted.TryRemove(connection, out _); }
        }, CancellationToken.None);
        _accepted.TryAdd(connection, task);
    }
}

/// <summary>The listening side of a socket, for tests and benchmarks.</summary>
internal static class ZmqSocketBinding
{
    /// <summary>Binds to <c>tcp://host:port</c> (port 0 = ephemeral) and returns the bound port.</summary>
    public static ValueTask<int> BindAsync(this IZmqSocket socket, string endpoint, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var owner = (ZmqSocketBase)socket;
        if (owner.IsClosing) throw new ZmqException($"The {owner.WireName} socket has been disposed.");
        var listener = Listener.Bind(owner, Endpoint.Parse(endpoint));
        owner.RunWhileOpen(listener.AcceptLoopAsync);
        return ValueTask.FromResult(listener.Port);
    }
}
