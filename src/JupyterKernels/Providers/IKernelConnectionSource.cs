using JupyterKernels.Connections;

namespace JupyterKernels.Providers;

/// <summary>
/// The live connections of this process, one per kernel (the Service keeps them). A provider sends its control
/// requests (interrupt_request, shutdown_request) through them instead of opening a second set of sockets.
/// </summary>
internal interface IKernelConnectionSource
{
    /// <summary>This process's connection to the kernel, opened if needed; null when it cannot be had within
    /// <paramref name="timeout"/> (kernel hung, gone, or never answering): the caller then falls back to what does not
    /// need one (signals, a one-off link for a last shutdown_request).</summary>
    Task<KernelClient?> TryGetClientAsync(KernelRecord kernel, TimeSpan timeout, CancellationToken cancellationToken);
}
