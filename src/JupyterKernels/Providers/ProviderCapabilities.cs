namespace JupyterKernels.Providers;

/// <summary>
/// What a provider can do and tell beyond what every provider does: the Service and the synchronizer ask these instead
/// of the provider's kind, so a third provider says what it can rather than being compared with the two there are.
/// </summary>
[Flags]
internal enum ProviderCapabilities
{
    None = 0,

    /// <summary>Its kernels are processes on this machine, probed one by one (process identity and heartbeat) rather
    /// than listed; they answer without a network round trip, so a sync takes them first.</summary>
    ProbesEachKernel = 1,

    /// <summary><see cref="IKernelProvider.ProbeActivityAsync"/> asks the kernel itself whether it runs code (shell silent
    /// while control answers). Without it the provider's own report decides (a server's execution_state).</summary>
    AsksKernelForActivity = 2,

    /// <summary>Kernels started by other clients are found by their connection files and adopted
    /// (<see cref="IKernelProvider.FindAdoptableAsync"/>, <see cref="IKernelProvider.AdoptConnectionFileAsync"/>).</summary>
    AdoptsConnectionFiles = 4,

    /// <summary>It keeps sessions of its own (Jupyter Server's /api/sessions): <see cref="IKernelProvider.ListSessionsAsync"/>
    /// answers and sessions are mirrored there.</summary>
    HasSessions = 8,
}
