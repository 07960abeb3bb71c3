using System.Net;
using System.Net.WebSockets;

namespace JupyterKernels.Connections;

/// <summary>
/// What <see cref="WebSocketKernelChannels"/> needs from the server that hosts a remote kernel: open the channels
/// socket, turn a failed attempt into the right error, say whether the kernel still exists, interrupt it, and keep
/// secrets out of text. The gateway provider implements it (<c>GatewayClient</c>), so the channel adapter stays free of REST.
/// </summary>
internal interface IKernelWebSocketServer
{
    string ProviderName { get; }

    WebSocketChannelOptions ChannelOptions { get; }

    /// <summary>One attempt to open <c>{kernels}/{id}/channels?session_id=…</c>; a failure is returned, not thrown.</summary>
    Task<(ClientWebSocket Socket, HttpStatusCode? FailureStatus, Exception? Failure)> ConnectChannelsAsync(
        string remoteKernelId, string sessionId, bool offerV1, CancellationToken cancellationToken);

    /// <summary>The error a failed <see cref="ConnectChannelsAsync"/> reports (KernelNotFound for a 404, ...).</summary>
    KernelException ConnectError(string remoteKernelId, HttpStatusCode? status, Exception failure);

    /// <summary>The kernel's state as the server reports it, or null when the server says it does not exist.
    /// Throws <see cref="KernelException"/> when the server cannot say (doubt is never "gone").</summary>
    Task<KernelState?> GetKernelStateAsync(string remoteKernelId, CancellationToken cancellationToken);

    /// <summary>Interrupts the kernel through the server (Jupyter Server's POST <c>{kernels}/{id}/interrupt</c>): what a
    /// client of these channels sends when it gives up on an execution.</summary>
    Task InterruptKernelAsync(string remoteKernelId, CancellationToken cancellationToken);

    /// <summary>Replaces every secret (token, password) in <paramref name="text"/>.</summary>
    string Scrub(string text);
}

/// <summary>The WebSocket channel adapter's limits and reconnect policy (the defaults are the gateway's, in GatewayOptions).</summary>
/// <param name="OfferV1Protocol">Offer <c>v1.kernel.websocket.jupyter.org</c> (else the legacy JSON framing).</param>
/// <param name="RetryInterval">First reconnect delay; doubled per attempt up to <paramref name="RetryIntervalMax"/>.</param>
/// <param name="RetryIntervalMax">Longest reconnect delay.</param>
/// <param name="RetryMax">Reconnect attempts before the link is given up.</param>
/// <param name="MaxQueuedMessages">Messages that may wait for a reconnect; past it SendAsync fails.</param>
/// <param name="MaxMessageBytes">A larger incoming message is dropped (and reported).</param>
/// <param name="KernelPollInterval">How often to ask the server whether the kernel still exists (zero = never).</param>
internal sealed record WebSocketChannelOptions(
    bool OfferV1Protocol, TimeSpan RetryInterval, TimeSpan RetryIntervalMax, int RetryMax,
    int MaxQueuedMessages, int MaxMessageBytes, TimeSpan KernelPollInterval)
{
    /// <summary>Reconnects refused in a row after which the link is given up at once (0 = never early).</summary>
    public int RefusalsToGiveUp { get; init; } = 2;
}
