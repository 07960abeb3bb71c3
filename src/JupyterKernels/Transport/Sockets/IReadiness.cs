namespace JupyterKernels.Transport.Sockets;

/// <summary>
/// Waits for one direction (readable or writable) of one socket. Completing a wait runs the awaiting code inline on
/// the thread that saw the readiness (the process's I/O thread on Linux, see <see cref="EpollIoThread"/>; the
/// socket's own <see cref="ReadinessWaiter"/> thread elsewhere). One wait at a time per direction.
/// </summary>
internal interface IReadiness
{
    /// <summary>Completes when the socket may be ready (the next non-blocking call says); fails with an IOException
    /// once closed.</summary>
    ValueTask WaitAsync();

    /// <summary>Fails a pending wait (IOException) and releases what the wait holds. Idempotent.</summary>
    void Close();
}
