namespace JupyterKernels.Transport.Zmq;

/// <summary>ZMTP socket types we speak (RFC 23/ZMTP 3.1, RFC 28 REQ/REP, RFC 29 PUB/SUB).</summary>
internal enum ZmqSocketType
{
    Req,
    Rep,
    Dealer,
    Router,
    Pub,
    Sub,
    XPub,
}
