using System.Net;
using System.Net.WebSockets;
using JupyterKernels.Connections;

namespace JupyterKernels.Providers.Gateway;

/// <summary>The server side of a remote kernel's channels: what <see cref="WebSocketKernelChannels"/> asks of it.</summary>
internal sealed partial class GatewayClient : IKernelWebSocketServer
{
    WebSocketChannelOptions IKernelWebSocketServer.ChannelOptions => new(
        Options.OfferV1Protocol, Options.RetryInterval, Options.RetryIntervalMax, Options.RetryMax,
        Options.MaxQueuedMessages, Options.MaxMessageBytes, Options.KernelPollInterval) { RefusalsToGiveUp = Options.RefusalsToGiveUp };

    Task<(ClientWebSocket Socket, HttpStatusCode? FailureStatus, Exception? Failure)> IKernelWebSocketServer.ConnectChannelsAsync(
        string remoteKernelId, string sessionId, bool offerV1, CancellationToken cancellationToken) =>
        Http.ConnectWebSocketAsync(ChannelsUrl(remoteKernelId, sessionId), offerV1, cancellationToken);

    KernelException IKernelWebSocketServer.ConnectError(string remoteKernelId, HttpStatusCode? status, Exception failure)
    {
        var op = $"WebSocket to kernel {remoteKernelId}";
        if (status is { } s && (int)s >= 300)
            return GatewayErrors.Scrub(GatewayErrors.FromStatus(ProviderName, op, s, null, default, kernelRequest: true, remoteKernelId, Options.MissingTokenHint), Options);
        if (failure is OperationCanceledException)
            return GatewayErrors.Timeout(ProviderName, op, Options.ConnectTimeout + Options.RequestTimeout);
        return GatewayErrors.Scrub(GatewayErrors.Transport(ProviderName, op, failure), Options);
    }

    async Task<KernelState?> IKernelWebSocketServer.GetKernelStateAsync(string remoteKernelId, CancellationToken cancellationToken) =>
        (await TryGetKernelAsync(remoteKernelId, cancellationToken).ConfigureAwait(false))?.State;

    string IKernelWebSocketServer.Scrub(string text) => GatewayErrors.Scrub(text, Options.Secrets());
}
