using JupyterKernels.Providers;
using JupyterKernels.Providers.Gateway;
namespace JupyterKernels.Service;

public sealed partial class KernelService
{
    /// <summary>The local provider's name: a kernelspec name without a provider prefix belongs to it.</summary>
    public const string LocalProviderName = KernelProviders.LocalName;

    /// <summary>A provider URL as it will be registered (absolute http or https, no query or user info, ending in '/'),
    /// or ProviderInvalid. Registering applies the same check; this lets a caller show the URL before it asks the user.</summary>
    public static Uri NormalizeProviderUrl(string? url, string? providerName = null) => GatewayOptions.ParseBaseUrl(url, providerName);

    public async Task<IReadOnlyList<KernelProviderInfo>> GetProvidersAsync(CancellationToken cancellationToken)
        => (await ProvidersAsync(cancellationToken).ConfigureAwait(false)).List();

    public async Task<KernelProviderInfo> RegisterProviderAsync(ProviderRegistration registration, CancellationToken cancellationToken)
        => await (await ProvidersAsync(cancellationToken).ConfigureAwait(false)).RegisterAsync(registration, cancellationToken).ConfigureAwait(false);

    public async Task UnregisterProviderAsync(string name, CancellationToken cancellationToken)
        => await (await ProvidersAsync(cancellationToken).ConfigureAwait(false)).UnregisterAsync(name, cancellationToken).ConfigureAwait(false);
}
