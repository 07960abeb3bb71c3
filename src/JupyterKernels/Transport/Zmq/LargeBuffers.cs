namespace JupyterKernels.Transport.Zmq;

/// <summary>
/// Allocation policy for message buffers. Encoded outgoing messages below <see cref="Threshold"/> are rented
/// from the shared array pool (and copied into the write batch, so they return quickly); larger ones are
/// plain uninitialised arrays: with a deep queue the pool would be empty anyway, and pinning them on the POH
/// measured no faster while adding gen2 collections.
/// </summary>
internal static class LargeBuffers
{
    public const int Threshold = 16 * 1024;

    public static byte[] Allocate(int length) => GC.AllocateUninitializedArray<byte>(length);
}
