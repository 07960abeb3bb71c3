namespace JupyterKernels.Providers;

/// <summary>
/// Builds the remote providers a registration names. The registry (<see cref="KernelProviders"/>) knows names,
/// prefixes and persistence, not any concrete remote provider: the front door hands it one of these
/// (<c>GatewayProviderFactory</c> for Jupyter Server / Kernel Gateway / Enterprise Gateway).
/// </summary>
internal interface IRemoteProviderFactory
{
    /// <summary>Checks a registration before it is recorded (ProviderInvalid for an unusable URL).</summary>
    void Validate(ProviderRegistration registration);

    /// <summary>A provider for <paramref name="registration"/>; <paramref name="displayNameSuffix"/> goes after its specs' display names.</summary>
    IKernelProvider Create(ProviderRegistration registration, string displayNameSuffix);

    /// <summary>What the public <see cref="Kernel"/> shows of a remote record's provider data when its provider is no
    /// longer registered (the records stay until Sync or Stop-Kernel removes them).</summary>
    ProviderKernelView Describe(KernelRecord kernel);

    /// <summary>The provider the environment configures (jupyter_server's JUPYTER_GATEWAY_* variables) under
    /// <paramref name="name"/> (its registration, and how to create it), or null when it configures none. Invalid
    /// values throw ProviderInvalid at once.</summary>
    (ProviderRegistration Registration, Func<IKernelProvider> CreateProvider)? FromEnvironment(string name, string displayNameSuffix, Func<string, string?>? getEnvironmentVariable);
}
