namespace JupyterKernels.Providers;

/// <summary>What Register-KernelProvider records. The token is kept only as an environment-variable name or in
/// memory for this process: it is never written to the providers file.</summary>
public sealed record ProviderRegistration
{
    public required string Name { get; init; }
    public required string Url { get; init; }
    /// <summary>"token" (default) or "Bearer"; null with <see cref="Token"/> null = no Authorization header.</summary>
    public string AuthScheme { get; init; } = "token";
    /// <summary>In-memory token for this process only.</summary>
    public string? Token { get; init; }
    /// <summary>Environment variable holding the token (persisted by name, read at use).</summary>
    public string? TokenEnvironmentVariable { get; init; }
    public string? DisplayNameSuffix { get; init; }
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();
    public TimeSpan? RequestTimeout { get; init; }
    public TimeSpan? ConnectTimeout { get; init; }
    public TimeSpan? LaunchTimeout { get; init; }
    public bool ValidateCertificate { get; init; } = true;
    public string? CaBundlePath { get; init; }
    public string? ClientCertificatePath { get; init; }
    public IReadOnlyList<string> EnvironmentAllowList { get; init; } = Array.Empty<string>();
    /// <summary>Replace an existing registration of the same name.</summary>
    public bool Force { get; init; }

    /// <summary>Leaves out <see cref="Token"/> and header values (secrets): the compiler's record ToString would print them.</summary>
    public override string ToString() => $"ProviderRegistration {{ Name = {Name}, Url = {Url}, AuthScheme = {AuthScheme}, " +
        $"Token = {(Token is null ? "(none)" : "(hidden)")}, TokenEnvironmentVariable = {TokenEnvironmentVariable}, Headers = [{string.Join(", ", Headers.Keys)}] }}";
}
