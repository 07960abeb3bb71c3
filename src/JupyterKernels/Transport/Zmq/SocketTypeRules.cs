namespace JupyterKernels.Transport.Zmq;

/// <summary>What the ZMTP handshake says about one socket type: its wire name, whether it sends an Identity
/// property (libzmq does for REQ, DEALER and ROUTER), and the peer types it talks to (libzmq check_socket_type,
/// compared exactly, upper case).</summary>
internal sealed class SocketTypeRules
{
    public static readonly SocketTypeRules Req = new("REQ", sendsIdentity: true, "REP", "ROUTER");
    public static readonly SocketTypeRules Dealer = new("DEALER", sendsIdentity: true, "REP", "DEALER", "ROUTER");
    public static readonly SocketTypeRules Sub = new("SUB", sendsIdentity: false, "PUB", "XPUB");

    private readonly string[] _peers;

    public SocketTypeRules(string wireName, bool sendsIdentity, params string[] peers)
    {
        WireName = wireName;
        SendsIdentity = sendsIdentity;
        _peers = peers;
    }

    public string WireName { get; }

    public bool SendsIdentity { get; }

    /// <summary>Whether a peer announcing <paramref name="peer"/> may talk to us.</summary>
    public bool IsCompatible(string peer) => Array.IndexOf(_peers, peer) >= 0;
}
