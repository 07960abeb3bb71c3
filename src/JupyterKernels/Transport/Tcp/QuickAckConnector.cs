using System.Net;
using System.Net.Sockets;

using JupyterKernels.Transport.Sockets;

namespace JupyterKernels.Transport.Tcp;

/// <summary>
/// The <see cref="SocketsHttpHandler.ConnectCallback"/> of the gateway HTTP/WebSocket stack on Linux: it opens the TCP
/// connection itself (each address of the host in turn, TCP_NODELAY on; the handler still layers TLS, proxy tunnelling
/// and its connect timeout around it) and returns a <see cref="QuickAckSocketStream"/>, whose reads re-arm
/// TCP_QUICKACK and complete on the connection's own reader thread rather than through the thread pool.
/// </summary>
/// <remarks>
/// Why: a server that writes several small frames in a row with Nagle on (tornado turns TCP_NODELAY off again after
/// the WebSocket upgrade, and jupyter_server never turns it back on) sends the first frame and holds the rest until
/// that frame is ACKed; a Linux client with nothing to send delays its ACK by at least 40 ms. Quick-ACK mode makes it
/// ACK at once, but Linux leaves that mode whenever the client sends (and after a while on its own), so setting it
/// once at connect does not help: it is re-armed after every read that returned data. And since each held frame
/// waits for our read of the one before, how fast a read wakes our code is on the reply's critical path too.
/// </remarks>
internal sealed class QuickAckConnector
{
    private readonly bool _rearm;
    private long _connections;
    private long _rearms;

    /// <param name="rearm">False: the same sockets without the TCP_QUICKACK re-arm (bench: what the re-arm saves).</param>
    public QuickAckConnector(bool rearm = true) => _rearm = rearm;

    /// <summary>TCP_QUICKACK exists only on Linux; elsewhere the handler keeps its own default connect.</summary>
    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>Sockets opened through this connector (diagnostics and tests).</summary>
    public long Connections => Interlocked.Read(ref _connections);

    /// <summary>Times TCP_QUICKACK was re-armed on any of them (diagnostics and tests).</summary>
    public long Rearms => Interlocked.Read(ref _rearms);

    internal void CountRearm() => Interlocked.Increment(ref _rearms);

    /// <summary>Installs this connector on <paramref name="handler"/> where the option exists; a no-op elsewhere.</summary>
    public static QuickAckConnector? InstallOn(SocketsHttpHandler handler, bool rearm = true)
    {
        if (!IsSupported) return null;
        var connector = new QuickAckConnector(rearm);
        handler.ConnectCallback = connector.ConnectAsync;
        return connector;
    }

    /// <summary>Connects to the endpoint the handler asks for (the server, or the proxy when one is used).</summary>
    public ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
        => ConnectAsync(context.DnsEndPoint, cancellationToken);

    public async ValueTask<Stream> ConnectAsync(DnsEndPoint endPoint, CancellationToken cancellationToken)
    {
        var addresses = IPAddress.TryParse(endPoint.Host, out var literal)
            ? new[] { literal }
            : await Dns.GetHostAddressesAsync(endPoint.Host, cancellationToken).ConfigureAwait(false);
        if (addresses.Length == 0) throw new SocketException((int)SocketError.HostNotFound);
        SocketException? last = null;
        foreach (var address in addresses)
        {
            NonBlockingSocket connection;
            try
            {
                connection = await NonBlockingSocket.ConnectAsync(address, endPoint.Port, $"HTTP {endPoint.Host}:{endPoint.Port}", cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException e) when (!cancellationToken.IsCancellationRequested)
            {
                last = e; // the next address, as the handler's default connect does
                continue;
            }
            catch (IOException) when (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException(cancellationToken);
            }
            Interlocked.Increment(ref _connections);
            return new QuickAckSocketStream(connection, this, _rearm);
        }
        throw last!;
    }
}
