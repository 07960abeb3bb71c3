using System.Threading.Channels;
using JupyterKernels.Messaging;

namespace JupyterKernels.Connections;

/// <summary>
/// The message channels of one kernel, whatever carries them: ZMTP sockets for local kernels, one WebSocket for
/// remote ones. Knows nothing of requests and replies; <see cref="KernelClient"/> builds those on top.
/// </summary>
internal interface IKernelChannels : IAsyncDisposable
{
    /// <summary>Sends a message on a channel (signing, framing and routing identity are the transport's business).
    /// Throws <see cref="KernelException"/> (ConnectionFailed) when the message cannot be handed over.</summary>
    ValueTask SendAsync(KernelChannel channel, JupyterMessage message, CancellationToken cancellationToken);

    /// <summary>Every verified message from every channel, in arrival order per channel. Completes when the
    /// transport is closed or has given up (the completion exception says why).</summary>
    ChannelReader<ChannelMessage> Incoming { get; }

    /// <summary>Faults and state changes for diagnostics and death detection: bad signatures, malformed messages,
    /// reconnects. Never carries secrets.</summary>
    event EventHandler<ChannelEvent>? Event;

    /// <summary>True once the IOPub subscription is known to be established (welcome seen, or any IOPub message).</summary>
    bool IOPubReady { get; }

    /// <summary>True once every request channel (shell, control, stdin) has completed its handshake at least once.
    /// A kernel's ROUTER drops messages for identities it has not seen, so an input_request sent before our stdin
    /// connected would be lost: readiness waits for this.</summary>
    bool RequestChannelsConnected => true;

    /// <summary>One heartbeat check (ZMTP: REQ ping/pong within <paramref name="timeout"/>; WebSocket: the socket is open
    /// and the server answers). False = no beat; the caller decides what that means.</summary>
    ValueTask<bool> CheckHeartbeatAsync(TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>Definite evidence of the kernel's end seen by the last missed heartbeat (a reachable server answering
    /// HTTP 404 for it, or reporting it dead), or null. A miss without evidence is only doubt.</summary>
    string? DeathEvidence => null;
}

/// <summary>A message and the channel it arrived on.</summary>
internal readonly record struct ChannelMessage(KernelChannel Channel, JupyterMessage Message);

/// <summary>NotResponding / Responding: the transport's own liveness signal (ZMTP heartbeat on the control connection:
/// silence past its timeout, then a completed handshake again). Doubt, never death.</summary>
internal enum ChannelEventKind { InvalidSignature, MalformedMessage, Disconnected, Reconnecting, Reconnected, Closed, NotResponding, Responding }

internal sealed record ChannelEvent(ChannelEventKind Kind, string Detail);
