namespace JupyterKernels.Providers.Gateway;

/// <summary>Remote providers are Jupyter Server / Kernel Gateway / Enterprise Gateway REST endpoints.</summary>
internal sealed class GatewayProviderFactory : IRemoteProviderFactory
{
    public static readonly GatewayProviderFactory Instance = new();

    public void Validate(ProviderRegistration registration) => GatewayOptions.ParseBaseUrl(registration.Url, registration.Name);

    public IKernelProvider Create(ProviderRegistration registration, string displayNameSuffix) =>
        new GatewayKernelProvider(registration.Name, GatewayOptions.FromRegistration(registration), displayNameSuffix);

    public ProviderKernelView Describe(KernelRecord kernel) => RemoteKernelData.Of(kernel).View;

    public (ProviderRegistration Registration, Func<IKernelProvider> CreateProvider)? FromEnvironment(string name, string displayNameSuffix, Func<string, string?>? getEnvironmentVariable)
    {
        var options = GatewayOptions.FromEnvironment(getEnvironmentVariable);
        if (options is null) return null;
        var registration = new ProviderRegistration
        {
            Name = name,
            Url = options.BaseUrl.ToString(),
            TokenEnvironmentVariable = options.HasCredential ? "JUPYTER_GATEWAY_AUTH_TOKEN" : null,
        };
        return (registration, () => new GatewayKernelProvider(name, options, displayNameSuffix));
    }
}
