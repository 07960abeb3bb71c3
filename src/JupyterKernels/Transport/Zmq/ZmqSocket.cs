namespace JupyterKernels.Transport.Zmq;

/// <summary>Creates managed ZeroMQ sockets (ZMTP 3.1, NULL mechanism, TCP).</summary>
internal static class ZmqSocket
{
    public static IZmqSocket Create(ZmqSocketType type, ZmqSocketOptions? options = null)
    {
        options ??= new ZmqSocketOptions();
        Validate(options);
        return type switch
        {
            ZmqSocketType.Dealer => new DealerSocket(options),
            ZmqSocketType.Req => new ReqSocket(options),
            ZmqSocketType.Sub => new SubSocket(options),
            _ => throw new ArgumentOutOfRangeException(nameof(type)),
        };
    }

    internal static void Validate(ZmqSocketOptions options)
    {
        var id = options.RoutingId.Span;
        // ZMTP 3.1: identities are 1-255 bytes and a leading 0x00 is reserved for generated ids.
        if (id.Length > 255) throw new ArgumentException("RoutingId must be at most 255 bytes.", nameof(options));
        if (id.Length > 0 && id[0] == 0) throw new ArgumentException("RoutingId must not start with a zero byte.", nameof(options));
        if (options.MaxFrameSize <= 0) throw new ArgumentException("MaxFrameSize must be positive.", nameof(options));
        if (options.ReconnectInterval < TimeSpan.Zero || options.Linger < TimeSpan.Zero)
            throw new ArgumentException("Intervals must not be negative.", nameof(options));
    }
}
