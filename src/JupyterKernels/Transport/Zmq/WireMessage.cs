using System.Buffers;

namespace JupyterKernels.Transport.Zmq;

/// <summary>
/// An encoded message waiting in an outgoing queue. Point-to-point sockets rent small buffers from the shared
/// array pool and the write loop returns them once copied into its batch, so sending many small messages
/// allocates almost nothing. PUB shares one un-pooled buffer among subscribers.
/// </summary>
internal readonly record struct WireMessage(byte[] Buffer, int Length, bool Pooled)
{
    public static implicit operator WireMessage(byte[] buffer) => new(buffer, buffer.Length, false);

    public ReadOnlyMemory<byte> Memory => Buffer.AsMemory(0, Length);

    public static WireMessage Rent(int length)
        => length < LargeBuffers.Threshold
            ? new WireMessage(ArrayPool<byte>.Shared.Rent(length), length, true)
            : new WireMessage(LargeBuffers.Allocate(length), length, false);

    /// <summary>Returns a pooled buffer; must be called at most once, after the last use.</summary>
    public void Release()
    {
        if (Pooled) ArrayPool<byte>.Shared.Return(Buffer);
    }
}
