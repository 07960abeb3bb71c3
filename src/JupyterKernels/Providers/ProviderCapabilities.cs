namespace JupyterKernels.Providers;

/// <summary>
/// How a provider behaves where every provider does the same job differently: the Service and the synchronizer ask
/// these instead of the provider's kind. What a provider can do beyond the core is a role interface
/// (ProviderRoles.cs), not a flag.
/// </summary>
[Flags]
internal enum ProviderCapabilities
{
    None = 0,

    /// <summary>Its kernels are processes on this machine, probed one by one (process identity and heartbeat) rather
    /// than listed; they answer without a network round trip, so a sync takes them first.</summary>
    ProbesEachKernel = 1,
}
