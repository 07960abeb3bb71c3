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
            await socket.SendAsync(new ReadOnlyMemory<byte>[] { "ping"u8.ToArray() }, cts.Token).ConfigureAwait(false);
            await socket.ReceiveAsync(cts.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
