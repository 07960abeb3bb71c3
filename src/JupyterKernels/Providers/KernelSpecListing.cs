namespace JupyterKernels.Providers;

/// <summary>Specs from every reachable provider, plus one warning per provider that failed (never hiding the others).</summary>
public sealed record KernelSpecListing(IReadOnlyList<KernelSpec> Specs, IReadOnlyList<ProviderWarning> Warnings);

public sealed record ProviderWarning(string Provider, string Message, string ErrorId);
