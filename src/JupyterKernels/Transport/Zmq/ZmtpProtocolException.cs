namespace JupyterKernels.Transport.Zmq;

/// <summary>
/// A peer broke the wire protocol (bad greeting, bad flags, oversized frame, malformed command).
/// Internal on purpose: it only ever closes the offending connection and becomes a
/// <see cref="ZmqConnectionEvent"/>; it never reaches user code.
/// </summary>
internal sealed class ZmtpProtocolException : Exception
{
    public ZmtpProtocolException(string message) : base(message) { }
}
