using JupyterKernels.Transport.Zmq;

namespace JupyterKernels.Connections;

/// <summary>The heartbeat channel's one exchange: "ping" on a REQ socket, any reply is the pong.</summary>
internal static class Heartbeat
{
    private static readonly byte[] Ping = "ping"u8.ToArray();

    /// <summary>True when the pong arrives before <paramref name="deadline"/> is cancelled; false when the deadline
    /// passes (the REQ socket is then mid-exchange and must be replaced before the next ping). Cancelling
    /// <paramref name="cancellationToken"/> (the caller's) throws.</summary>
    public static async Task<bool> PingAsync(IZmqSocket req, CancellationToken deadline, CancellationToken cancellationToken)
    {
        try
        {
            await req.SendAsync(new ReadOnlyMemory<byte>[] { Ping }, deadline).ConfigureAwait(false);
            await req.ReceiveAsync(deadline).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
