using System.Net.Sockets;

using JupyterKernels.Transport.Sockets;

namespace JupyterKernels.Transport.Zmq;

/// <summary>
/// Keeps one outgoing endpoint connected: connect, run the connection until it drops, wait, repeat.
/// The wait starts at ReconnectInterval and doubles up to ReconnectIntervalMax while attempts keep failing;
/// a connection that completed its handshake resets it. Unlike libzmq we keep retrying after a protocol
/// error too (with back-off), because the usual cause is a kernel restarting on the same port.
/// </summary>
internal static class ReconnectingConnector
{
    public static async Task RunAsync(ZmqSocketBase owner, Endpoint endpoint, CancellationToken ct)
    {
        var options = owner.Options;
        var initial = options.ReconnectInterval > TimeSpan.Zero ? options.ReconnectInterval : TimeSpan.FromMilliseconds(1);
        var max = options.ReconnectIntervalMax > initial ? options.ReconnectIntervalMax : initial;
        var delay = initial;
        var name = endpoint.ToString();
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var socket = await TryConnectAsync(endpoint, options.HandshakeTimeout, ct).ConfigureAwait(false);
                bool handshook = false;
                if (socket is not null)
                {
                    try
                    {
                        var connection = new ZmtpConnection(owner, socket, name, outbound: true);
                        handshook = await connection.RunAsync(ct).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                    {
                        // Whatever went wrong with this connection, keep the endpoint alive.
                        owner.Raise(ZmqConnectionEventKind.Disconnected, name, e.Message);
                    }
                }
                if (handshook) delay = initial;
                await Task.Delay(delay, ct).ConfigureAwait(false);
                if (!handshook) delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, max.Ticks));
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Socket disposed.
        }
    }

    private static async Task<NonBlockingSocket?> TryConnectAsync(Endpoint endpoint, TimeSpan timeout, CancellationToken socketToken)
    {
        // A black-holed address would otherwise keep one attempt pending for the OS timeout (minutes).
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(socketToken);
        attempt.CancelAfter(timeout);
        var ct = attempt.Token;
        System.Net.IPAddress[] addresses;
        try
        {
            addresses = await endpoint.ResolveAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ArgumentException
                                  || (e is OperationCanceledException && !socketToken.IsCancellationRequested))
        {
            return null;
        }
        foreach (var address in addresses)
        {
            try
            {
                return await NonBlockingSocket.ConnectAsync(address, endpoint.Port, endpoint.ToString(), ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException || (e is OperationCanceledException && !socketToken.IsCancellationRequested))
            {
                // Next address, or give up this attempt.
            }
        }
        return null;
    }
}
