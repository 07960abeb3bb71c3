namespace JupyterKernels.Store;

/// <summary>What <see cref="KernelStore.GetOrCreateSessionAsync"/> returns.</summary>
/// <param name="Session">The session (bound to <paramref name="Kernel"/>).</param>
/// <param name="Kernel">The kernel record of the session (contains the connection key: keep it internal).</param>
/// <param name="Created">True when this call started the kernel (new session, or a dead kernel replaced).</param>
/// <param name="ReplacedKernelId">The dead kernel the session pointed to before, when it was replaced.</param>
internal sealed record SessionAcquisition(KernelSession Session, Providers.KernelRecord Kernel, bool Created, string? ReplacedKernelId);
