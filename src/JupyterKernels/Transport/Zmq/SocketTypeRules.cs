namespace JupyterKernels.Transport.Zmq;

/// <summary>Wire names and the peer compatibility table (libzmq check_socket_type).</summary>
internal static class SocketTypeRules
{
    public static string WireName(ZmqSocketType type) => type switch
    {
        ZmqSocketType.Req => "REQ",
        ZmqSocketType.Rep => "REP",
        ZmqSocketType.Dealer => "DEALER",
        ZmqSocketType.Router => "ROUTER",
        ZmqSocketType.Pub => "PUB",
        ZmqSocketType.Sub => "SUB",
        ZmqSocketType.XPub => "XPUB",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>libzmq sends an Identity property only for these types; so do we.</summary>
    public static bool SendsIdentity(ZmqSocketType type)
        => type is ZmqSocketType.Req or ZmqSocketType.Dealer or ZmqSocketType.Router;

    /// <summary>Whether a peer announcing <paramref name="peer"/> may talk to us. Compared exactly (upper case), like libzmq.</summary>
    public static bool IsCompatible(ZmqSocketType ours, string peer) => ours switch
    {
        ZmqSocketType.Req => peer is "REP" or "ROUTER",
        ZmqSocketType.Rep => peer is "REQ" or "DEALER",
        ZmqSocketType.Dealer => peer is "REP" or "DEALER" or "ROUTER",
        ZmqSocketType.Router => peer is "REQ" or "DEALER" or "ROUTER",
        ZmqSocketType.Pub or ZmqSocketType.XPub => peer is "SUB" or "XSUB",
        ZmqSocketType.Sub => peer is "PUB" or "XPUB",
        _ => false,
    };
}
