using System.Net;
using System.Net.Sockets;
using JupyterKernels.Connections;

namespace JupyterKernels.Providers.Local;

/// <summary>
/// Was a failed start a port clash? Ports are picked by binding and releasing, so another program can take one before
/// the kernel binds it (jupyter_client has the same race). The kernel's own words for it differ by kernel, language
/// and OS ("Address already in use", "Address in use", a translation), so the answer comes from the socket layer's
/// error code instead: after the kernel has exited, one of its ports still cannot be bound (EADDRINUSE /
/// WSAEADDRINUSE).
/// </summary>
internal static class PortClash
{
    public static bool Caused(KernelException e, ConnectionInfo info)
        => e.ErrorId == ErrorIds.KernelExitedDuringStart && AnyPortTaken(info);

    public static bool AnyPortTaken(ConnectionInfo info)
    {
        if (!string.Equals(info.Transport, "tcp", StringComparison.OrdinalIgnoreCase) || !IPAddress.TryParse(info.Ip, out var address)) return false;
        foreach (var port in info.Ports)
        {
            if (port <= 0) continue;
            using var probe = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            // As the kernel binds (libzmq sets SO_REUSEADDR on POSIX; Windows' exclusive use is what a clash would hit).
            if (OperatingSystem.IsWindows()) probe.ExclusiveAddressUse = true;
            else probe.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            try { probe.Bind(new IPEndPoint(address, port)); }
            catch (SocketException s) when (s.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AccessDenied) { return true; }
            catch (SocketException) { }
        }
        return false;
    }
}
