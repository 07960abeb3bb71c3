namespace JupyterKernels.Transport.Zmq;

/// <summary>The ZMTP socket types a kernel client uses (RFC 23/ZMTP 3.1, RFC 28 REQ, RFC 29 SUB).</summary>
internal enum ZmqSocketType
{
    Req,
    Dealer,
    Sub,
}
