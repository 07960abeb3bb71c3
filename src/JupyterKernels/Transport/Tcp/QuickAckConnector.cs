using System.Net;
using System.Net.Http;
using System.Net.Sockets;

namespace JupyterKernels.Transport.Tcp;

/// <summary>
/// The <see cref="SocketsHttpHandler.ConnectCallback"/> of the gateway HTTP/WebSocket stack on Linux: it opens the TCP
/// socket as the handler's default would (dual-mode, TCP_NODELAY on; the handler still layers TLS, proxy tunnelling
/// and its connect timeout around it) and returns a <see cref="QuickAckNetworkStream"/>, whose reads re-arm
/// TCP_QUICKACK.
/// </summary>
/// <remarks>
/// Why: a server that writes several small frames in a row with Nagle on (tornado turns TCP_NODELAY off again after
/// the WebSocket upgrade, and jupyter_server never turns it back on) sends the first frame and holds the rest until
/// that frame is ACKed; a Linux client with nothing to send delays its ACK by at least 40 ms. Quick-ACK mode makes it
/// ACK at once, but Linux leaves that mode whenever the client sends (and after a while on its own), so setting it
/// once at connect does not help: it is re-armed after every read that returned data.
/// </remarks>
internal sealed class QuickAckConnector
{
    private long _connections;
    private long _rearms;

    /// <summary>TCP_QUICKACK exists only on Linux; elsewhere the handler keeps its own default connect.</summary>
    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>Sockets opened through this connector (diagnostics and tests).</summary>
    public long Connections => Interlocked.Read(ref _connections);

    /// <summary>Times TCP_QUICKACK was re-armed on any of them (diagnostics and tests).</summary>
    public long Rearms => Interlocked.Read(ref _rearms);

    internal void CountRearm() => Interlocked.Increment(ref _rearms);

    /// <summary>Installs this connector on <paramref name="handler"/> where the option exists; a no-op elsewhere.</summary>
    public static QuickAckConnector? InstallOn(SocketsHttpHandler handler)
    {
        if (!IsSupported) return null;
        var connector = new QuickAckConnector();
        handler.ConnectCallback = connector.ConnectAsync;
        return connector;
    }

    /// <summary>Connects to the endpoint the handler asks for (the server, or the proxy when one is used).</summary>
    public ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
        => ConnectAsync(context.DnsEndPoint, cancellationToken);

    public async ValueTask<Stream> ConnectAsync(EndPoint endPoint, CancellationToken cancellationToken)
    {
        // Same socket as SocketsHttpHandler's default connect: dual-mode stream socket, Nagle off.
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _connections);
            return new QuickAckNetworkStream(socket, this);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
