using System.Net;
using System.Net.Sockets;

using JupyterKernels.Transport.Sockets;

namespace JupyterKernels.Transport.Zmq;

/// <summary>A bound TCP endpoint: accepts connections and runs each as a <see cref="ZmtpConnection"/>.</summary>
internal sealed class Listener
{
    private readonly ZmqSocketBase _owner;
    private readonly Socket _listenSocket;
    private readonly string _name;

    private Listener(ZmqSocketBase owner, Socket listenSocket, string name)
    {
        _owner = owner;
        _listenSocket = listenSocket;
        _name = name;
    }

    public int Port => ((IPEndPoint)_listenSocket.LocalEndPoint!).Port;

    public static Listener Bind(ZmqSocketBase owner, Endpoint endpoint)
    {
        var address = endpoint.BindAddress();
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

    public async Task AcceptLoopAsync(CancellationToken ct)
    {
        using var registration = ct.Register(() => _listenSocket.Dispose());
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
                return;
            }
            catch (SocketException)
            {
                // Transient accept failure (e.g. too many open files): don't spin.
                try { await Task.Delay(100, ct).ConfigureAwait(false); } catch (OperationCanceledException) { return; }
                continue;
            }
            string name = accepted.RemoteEndPoint is IPEndPoint remote ? $"{_name} <- {remote}" : _name;
            var connection = new ZmtpConnection(_owner, new NonBlockingSocket(accepted, name), name, outbound: false);
            _owner.TrackAccepted(connection, ct);
        }
    }

    public void Close() => _listenSocket.Dispose();
}
