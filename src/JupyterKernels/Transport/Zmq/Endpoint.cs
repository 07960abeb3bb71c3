using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace JupyterKernels.Transport.Zmq;

/// <summary>A parsed <c>tcp://host:port</c> endpoint.</summary>
internal sealed record Endpoint(string Host, int Port)
{
    public override string ToString() => Host.Contains(':') ? $"tcp://[{Host}]:{Port}" : $"tcp://{Host}:{Port}";

    public static Endpoint Parse(string endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        const string scheme = "tcp://";
        if (!endpoint.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            throw new ZmqException($"Unsupported endpoint '{endpoint}': only tcp://host:port is supported.");
        var rest = endpoint[scheme.Length..];
        int colon = rest.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(rest[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int port)
            || port > 65535)
            throw new ZmqException($"Invalid endpoint '{endpoint}': expected tcp://host:port.");
        var host = rest[..colon];
        if (host.StartsWith('[') && host.EndsWith(']')) host = host[1..^1];
        if (host.Length == 0) throw new ZmqException($"Invalid endpoint '{endpoint}': empty host.");
        return new Endpoint(host, port);
    }

    /// <summary>Addresses to try when connecting, IPv4 first (kernels bind 127.0.0.1 by default).</summary>
    public async ValueTask<IPAddress[]> ResolveAsync(CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(Host, out var ip)) return new[] { ip };
        if (string.Equals(Host, "localhost", StringComparison.OrdinalIgnoreCase))
            return new[] { IPAddress.Loopback, IPAddress.IPv6Loopback };
        var all = await Dns.GetHostAddressesAsync(Host, cancellationToken).ConfigureAwait(false);
        return all.OrderBy(a => a.AddressFamily == AddressFamily.InterNetwork ? 0 : 1).ToArray();
    }
}
