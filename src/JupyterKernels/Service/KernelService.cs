namespace JupyterKernels.Service;

/// <summary>
/// The process-wide service behind the cmdlets: providers registry, store and live connections.
/// Static because ThreadJob and ForEach-Object -Parallel runspaces share the process and must share connections.
/// </summary>
public sealed partial class KernelService
{
    private static readonly Lazy<KernelService> LazyShared = new(() => new KernelService(KernelServiceOptions.FromEnvironment()), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The instance every cmdlet uses.</summary>
    public static IKernelService Shared => LazyShared.Value;
}
