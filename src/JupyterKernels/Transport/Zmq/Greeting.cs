namespace JupyterKernels.Transport.Zmq;

/// <summary>
/// The fixed 64-byte ZMTP 3.x greeting. We always send all 64 bytes at once (libzmq sends its own in
/// three bursts and waits for ours in between, so waiting for the peer first would deadlock), and we
/// validate the peer's greeting progressively as bytes trickle in.
/// </summary>
internal static class Greeting
{
    public const int Size = 64;
    public const byte OurMajor = 3;
    public const byte OurMinor = 1;

    private static ReadOnlySpan<byte> NullMechanism => "NULL"u8;

    /// <summary>Builds our greeting: signature, version 3.minor, mechanism NULL, as-server 0.</summary>
    public static byte[] Build(byte minor = OurMinor)
    {
        var g = new byte[Size];
        g[0] = 0xFF;
        // Bytes 1-8 are padding; libzmq puts routing-id-size+1 in byte 8 (ZMTP 1.0 back-compat), we send 1
        // which reads as "no identity" to any ZMTP 1.0 parser and is ignored by 3.x parsers.
        g[8] = 0x01;
        g[9] = 0x7F;
        g[10] = OurMajor;
        g[11] = minor;
        NullMechanism.CopyTo(g.AsSpan(12));
        return g;
    }

    /// <summary>
    /// Checks the prefix received so far so that garbage is rejected as early as possible
    /// (a non-ZMTP peer may never send 64 bytes).
    /// </summary>
    public static void ValidatePartial(ReadOnlySpan<byte> received)
    {
        if (received.Length >= 1 && received[0] != 0xFF)
            throw new ZmtpProtocolException("greeting: bad signature byte 0");
        if (received.Length >= 10 && (received[9] & 0x01) == 0)
            throw new ZmtpProtocolException("greeting: peer is not versioned (ZMTP 1.0)");
        if (received.Length >= 11 && received[10] < 3)
            throw new ZmtpProtocolException($"greeting: unsupported ZMTP major version {received[10]}");
    }

    /// <summary>Validates a complete greeting and returns the peer's version.</summary>
    public static (int Major, int Minor) Parse(ReadOnlySpan<byte> greeting)
    {
        if (greeting.Length < Size) throw new ZmtpProtocolException("greeting: too short");
        ValidatePartial(greeting);
        var mechanism = greeting.Slice(12, 20);
        if (!mechanism.StartsWith(NullMechanism) || mechanism[4..].IndexOfAnyExcept((byte)0) >= 0)
            throw new ZmtpProtocolException("greeting: mechanism is not NULL");
        return (greeting[10], greeting[11]);
    }

    /// <summary>
    /// Effective minor version for framing choices (SUBSCRIBE as command or legacy message):
    /// min(ours, peer's); any major above 3 counts as at least as new as ours.
    /// </summary>
    public static int NegotiateMinor(int peerMajor, int peerMinor, int ourMinor = OurMinor)
        => peerMajor > 3 ? ourMinor : Math.Min(ourMinor, peerMinor);
}
