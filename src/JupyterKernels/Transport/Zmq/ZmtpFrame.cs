namespace JupyterKernels.Transport.Zmq;

/// <summary>One decoded frame (message or command). The body array is exactly the frame's size.</summary>
internal readonly record struct ZmtpFrame(byte[] Body, bool More, bool IsCommand);

/// <summary>Frame flag bits (RFC 23 §"Framing").</summary>
internal static class FrameFlags
{
    public const byte More = 0x01;
    public const byte Long = 0x02;
    public const byte Command = 0x04;
    public const byte Reserved = 0xF8;
}
