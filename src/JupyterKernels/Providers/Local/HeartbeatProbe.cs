using JupyterKernels.Connections;
using JupyterKernels.Transport.Zmq;

namespace JupyterKernels.Providers.Local;

/// <summary>One ping on a fresh REQ socket: the cheapest evidence that a kernel (not just a pid) is there.</summary>
internal static class HeartbeatProbe
{
    public static async Task<bool> BeatsAsync(ConnectionInfo info, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await using var socket = ZmqSocket.Create(ZmqSocketType.Req, new ZmqSocketOptions { Linger = TimeSpan.Zero });
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await socket.ConnectAsync(info.HeartbeatEndpoint, cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
        return await Heartbeat.PingAsync(socket, cts.Token, cancellationToken).ConfigureAwait(false);
    }
}
