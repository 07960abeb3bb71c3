using JupyterKernels.Providers;
namespace JupyterKernels.Service;

public sealed partial class KernelService
{
    public async Task<IReadOnlyList<KernelProviderInfo>> GetProvidersAsync(CancellationToken cancellationToken)
        => (await ProvidersAsync(cancellationToken).ConfigureAwait(false)).List();

    public async Task<KernelProviderInfo> RegisterProviderAsync(ProviderRegistration registration, CancellationToken cancellationToken)
        => await (await ProvidersAsync(cancellationToken).ConfigureAwait(false)).RegisterAsync(registration, cancellationToken).ConfigureAwait(false);

    public async Task UnregisterProviderAsync(string name, CancellationToken cancellationToken)
        => await (await ProvidersAsync(cancellationToken).ConfigureAwait(false)).UnregisterAsync(name, cancellationToken).ConfigureAwait(false);
}
