namespace JupyterKernels.Transport.Zmq;

internal enum ZmqConnectionEventKind { Connected, Disconnected, HandshakeFailed, ProtocolError, Accepted, HeartbeatTimeout }

/// <summary>Something that happened to one peer connection; never carries message payloads.</summary>
internal sealed record ZmqConnectionEvent(ZmqConnectionEventKind Kind, string Endpoint, string? Detail = null);
