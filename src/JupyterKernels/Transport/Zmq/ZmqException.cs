namespace JupyterKernels.Transport.Zmq;

/// <summary>A socket-level failure: bad endpoint, invalid state, disposed socket, peer protocol error.</summary>
internal sealed class ZmqException : Exception
{
    public ZmqException(string message) : base(message) { }
    public ZmqException(string message, Exception inner) : base(message, inner) { }
}
