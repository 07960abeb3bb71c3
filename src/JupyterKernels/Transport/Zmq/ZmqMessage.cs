namespace JupyterKernels.Transport.Zmq;

/// <summary>One received multipart message. Frames are owned by the message.</summary>
internal sealed class ZmqMessage
{
    public ZmqMessage(IReadOnlyList<byte[]> frames) => Frames = frames;

    public IReadOnlyList<byte[]> Frames { get; }

    public int Count => Frames.Count;

    public byte[] this[int index] => Frames[index];
}
