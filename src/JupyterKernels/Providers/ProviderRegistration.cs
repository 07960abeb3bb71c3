namespace JupyterKernels.Providers;

/// <summary>What Register-KernelProvider records. The token and header values are kept only as environment-variable
/// names or in memory for this process: no secret value is ever written to the providers file.</summary>
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
    /// <summary>A token was given for the registering process only (<see cref="Token"/>); persisted as a flag, never
    /// the token, so another process can say why the server refuses it.</summary>
    public bool TokenInRegisteringProcessOnly { get; init; }
    public string? DisplayNameSuffix { get; init; }
    /// <summary>Extra headers with their values, for this process only: never persisted (any of them may be a secret).</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();
    /// <summary>Extra headers by the name of the environment variable holding each value: persisted by name, read at use.</summary>
    public IReadOnlyDictionary<string, string> HeaderEnvironmentVariables { get; init; } = new Dictionary<string, string>();
    public TimeSpan? RequestTimeout { get; init; }
    public TimeSpan? ConnectTimeout { get; init; }
    public TimeSpan? LaunchTimeout { get; init; }
    public bool ValidateCertificate { get; init; } = true;
    public string? CaBundlePath { get; init; }
    public string? ClientCertificatePath { get; init; }
    public IReadOnlyList<string> EnvironmentAllowList { get; init; } = Array.Empty<string>();
    /// <summary>Replace an existing registration of the same name.</summary>
    public bool Force { get; init; }

    /// <summary>A name an environment variable can have on every OS: ASCII letters, digits and '_', not starting with a digit.</summary>
    public static bool IsEnvironmentVariableName(string? name) =>
        name is { Length: > 0 } && !char.IsAsciiDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    /// <summary>Throws ProviderInvalid when a header's value would be read from something that is no environment variable
    /// name (it could never be set, and the header would silently never be sent).</summary>
    public void CheckHeaderVariableNames()
    {
        foreach (var (header, variable) in HeaderEnvironmentVariables)
            if (!IsEnvironmentVariableName(variable))
                throw new KernelException(ErrorIds.ProviderInvalid, KernelErrorCategory.InvalidArgument,
                    $"-HeaderEnvironmentVariable: '{variable}' (for header '{header}') is not an environment variable name.", Name);
    }

    /// <summary>When this process has no token for the provider: which one is missing and how to provide it; null when none was registered.</summary>
    public string? MissingTokenHint()
    {
        if (!string.IsNullOrEmpty(TokenEnvironmentVariable))
            return $"The environment variable '{TokenEnvironmentVariable}' that holds the token of provider '{Name}' is not set in this process: " +
                $"set it (e.g. $env:{TokenEnvironmentVariable} = '<token>') before using the provider.";
        if (TokenInRegisteringProcessOnly)
            return $"Provider '{Name}' was registered with -Token, which is kept only in the process that registered it. " +
                $"Register it again with the token in an environment variable: Register-KernelProvider -Name {Name} -Url <url> -TokenEnvironmentVariable <NAME> -Force.";
        return null;
    }

    /// <summary>Leaves out <see cref="Token"/> and header values (secrets): the compiler's record ToString would print them.</summary>
    public override string ToString() => $"ProviderRegistration {{ Name = {Name}, Url = {Url}, AuthScheme = {AuthScheme}, " +
        $"Token = {(Token is null ? "(none)" : "(hidden)")}, TokenEnvironmentVariable = {TokenEnvironmentVariable}, Headers = [{string.Join(", ", Headers.Keys)}], " +
        $"HeaderEnvironmentVariables = [{string.Join(", ", HeaderEnvironmentVariables.Select(h => $"{h.Key}=${h.Value}"))}] }}";
}
