using System.Net.Sockets;

namespace JupyterKernels.Connections;

/// <summary>
/// A lost WebSocket whose reconnects are refused: nothing listens where the server was. That is evidence, not doubt,
/// so after a few refusals in a row (<see cref="WebSocketChannelOptions.RefusalsToGiveUp"/>, a second apart instead of
/// the growing backoff) the call ends with ConnectionFailed naming the server, in seconds rather than after the whole
/// backoff. Timeouts and HTTP errors (a proxy's 502 while the server restarts) keep the backoff.
/// </summary>
internal static class ConnectionRefusals
{
    public static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    public static bool IsRefused(Exception? failure)
    {
        for (var e = failure; e is not null; e = e.InnerException)
            if (e is SocketException { SocketErrorCode: SocketError.ConnectionRefused }) return true;
        return false;
    }

    public static KernelException ServerDown(string provider, string kernelId, int refusals, KernelException last)
        => new(ErrorIds.ConnectionFailed, KernelErrorCategory.ConnectionError,
            $"Kernel {kernelId}: provider '{provider}' refused the connection {refusals} times in a row ({last.Message}); " +
            "the server is down or restarted, and whatever the kernel was running is lost to this call.", kernelId, last);
}
