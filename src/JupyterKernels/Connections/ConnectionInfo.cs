using System.Globalization;
using JupyterKernels.Messaging;

namespace JupyterKernels.Connections;

/// <summary>
/// The contents of a kernel connection file (jupyter_client connect.py <c>write_connection_file</c>): where the
/// kernel's five sockets listen and the key that signs messages. Holds a secret: <see cref="ToString"/> leaves the
/// key out, and so must anything that logs or displays this object.
/// </summary>
internal sealed record ConnectionInfo
{
    public required int ShellPort { get; init; }
    public required int IOPubPort { get; init; }
    public required int StdinPort { get; init; }
    public required int ControlPort { get; init; }
    public required int HbPort { get; init; }
    public string Ip { get; init; } = "127.0.0.1";
    /// <summary>The HMAC key (jupyter_client writes a UUID4 string). Empty = messages are not signed.</summary>
    public string Key { get; init; } = "";
    /// <summary>Always "tcp": ipc is rejected when reading.</summary>
    public string Transport { get; init; } = "tcp";
    public string SignatureScheme { get; init; } = "hmac-sha256";
    public string KernelName { get; init; } = "";

    /// <summary>
    /// New connection info for a kernel we are about to start: five ports on <paramref name="ip"/> not handed out
    /// before by this process (see <see cref="PortAllocator"/>) and a fresh random key.
    /// </summary>
    public static ConnectionInfo CreateLocal(string kernelName = "", string ip = "127.0.0.1", PortAllocator? allocator = null)
    {
        var ports = (allocator ?? PortAllocator.Shared).AllocatePorts(5, ip);
        return new ConnectionInfo
        {
            ShellPort = ports[0],
            IOPubPort = ports[1],
            StdinPort = ports[2],
            ControlPort = ports[3],
            HbPort = ports[4],
            Ip = ip,
            // jupyter_client's Session key default: str(uuid4()), 122 random bits.
            Key = Guid.NewGuid().ToString(),
            KernelName = kernelName,
        };
    }

    /// <summary>The five ports in jupyter_client's order (shell, iopub, stdin, control, hb).</summary>
    public IReadOnlyList<int> Ports => [ShellPort, IOPubPort, StdinPort, ControlPort, HbPort];

    public int PortOf(KernelChannel channel) => channel switch
    {
        KernelChannel.Shell => ShellPort,
        KernelChannel.IOPub => IOPubPort,
        KernelChannel.Stdin => StdinPort,
        KernelChannel.Control => ControlPort,
        _ => throw new ArgumentOutOfRangeException(nameof(channel)),
    };

    /// <summary>The ZeroMQ endpoint of a message channel, <c>tcp://ip:port</c> (connect.py <c>_make_url</c>).</summary>
    public string Endpoint(KernelChannel channel) => EndpointFor(PortOf(channel));

    /// <summary>The heartbeat endpoint (heartbeat is not a <see cref="KernelChannel"/>).</summary>
    public string HeartbeatEndpoint => EndpointFor(HbPort);

    private string EndpointFor(int port) => string.Create(CultureInfo.InvariantCulture, $"{Transport}://{FormatHost(Ip)}:{port}");

    // An IPv6 literal needs brackets in a ZeroMQ tcp endpoint.
    private static string FormatHost(string ip) => ip.Contains(':') && !ip.StartsWith('[') ? $"[{ip}]" : ip;

    /// <summary>Everything except the key, so the object is safe to log and display.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"ConnectionInfo {{ Transport = {Transport}, Ip = {Ip}, ShellPort = {ShellPort}, IOPubPort = {IOPubPort}, StdinPort = {StdinPort}, " +
        $"ControlPort = {ControlPort}, HbPort = {HbPort}, SignatureScheme = {SignatureScheme}, KernelName = {KernelName}, Key = {(Key.Length == 0 ? "(none)" : "(hidden)")} }}");
}
