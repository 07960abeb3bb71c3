namespace JupyterKernels.Transport.Zmq;

/// <summary>Every ZMTP socket type the tests and benchmarks use: the client's three (made by the core's
/// <see cref="ZmqSocket"/>) and the kernel side's ROUTER, REP, PUB and XPUB, which only tests need.</summary>
internal enum TestSocketType
{
    Req,
    Rep,
    Dealer,
    Router,
    Pub,
    Sub,
    XPub,
}

/// <summary>Handshake rules of the kernel-side socket types (libzmq check_socket_type).</summary>
internal static class TestSocketRules
{
    public static readonly SocketTypeRules Router = new("ROUTER", sendsIdentity: true, "REQ", "DEALER", "ROUTER");
    public static readonly SocketTypeRules Rep = new("REP", sendsIdentity: false, "REQ", "DEALER");
    public static readonly SocketTypeRules Pub = new("PUB", sendsIdentity: false, "SUB", "XSUB");
    public static readonly SocketTypeRules XPub = new("XPUB", sendsIdentity: false, "SUB", "XSUB");
}

/// <summary>Creates managed ZeroMQ sockets of any type for tests and benchmarks.</summary>
internal static class TestSockets
{
    public static IZmqSocket Create(TestSocketType type, ZmqSocketOptions? options = null)
    {
        options ??= new ZmqSocketOptions();
        ZmqSocket.Validate(options);
        return type switch
        {
            TestSocketType.Dealer => ZmqSocket.Create(ZmqSocketType.Dealer, options),
            TestSocketType.Req => ZmqSocket.Create(ZmqSocketType.Req, options),
            TestSocketType.Sub => ZmqSocket.Create(ZmqSocketType.Sub, options),
            TestSocketType.Rep => new RepSocket(options),
            TestSocketType.Router => new RouterSocket(options),
            TestSocketType.Pub => new PubSocket(xpub: false, options),
            TestSocketType.XPub => new PubSocket(xpub: true, options),
            _ => throw new ArgumentOutOfRangeException(nameof(type)),
        };
    }
}
