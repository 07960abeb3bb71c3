using System.Collections;
using System.Management.Automation;
using System.Net;
using System.Security;
using JupyterKernels.Service;
using JupyterKernels.Providers;

namespace JupyterKernels.Cmdlets;

/// <summary>
/// Register-KernelProvider: registers a Jupyter Server / Kernel Gateway / Enterprise Gateway as a provider.
/// The token is kept in memory for this process only (-Token/-Credential) or read at use from an environment
/// variable (-TokenEnvironmentVariable); it is never written to disk, echoed or logged.
/// </summary>
[Cmdlet(VerbsLifecycle.Register, "KernelProvider", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = NoTokenParameterSet)]
[OutputType(typeof(KernelProviderInfo))]
public sealed class RegisterKernelProviderCommand : KernelCmdletBase
{
    private const string NoTokenParameterSet = "NoToken";
    private const string TokenParameterSet = "Token";
    private const string CredentialParameterSet = "Credential";
    private const string EnvironmentParameterSet = "TokenEnvironmentVariable";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, HelpMessage = "Provider name; its specs are named <name>/<spec>.")]
    [ValidatePattern(@"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    public string Name { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true, HelpMessage = "Base URL of the Jupyter server or gateway (http or https).")]
    [ValidateNotNullOrEmpty]
    public string Url { get; set; } = "";

    [Parameter(Mandatory = true, ParameterSetName = TokenParameterSet, HelpMessage = "The server's token, as a SecureString (kept in memory for this process only).")]
    [ValidateNotNull]
    public SecureString? Token { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = CredentialParameterSet, HelpMessage = "A credential whose password is the token (the user name is ignored).")]
    [ValidateNotNull]
    [Credential]
    public PSCredential? Credential { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = EnvironmentParameterSet, HelpMessage = "Name of the environment variable that holds the token; read each time it is needed.")]
    [ValidatePattern(@"^[A-Za-z_][A-Za-z0-9_]*$")]
    public string? TokenEnvironmentVariable { get; set; }

    [Parameter(ParameterSetName = TokenParameterSet, HelpMessage = "Authorization scheme: token (Jupyter default) or Bearer.")]
    [Parameter(ParameterSetName = CredentialParameterSet)]
    [Parameter(ParameterSetName = EnvironmentParameterSet)]
    [ValidateSet("token", "Bearer")]
    public string AuthScheme { get; set; } = "token";

    [Parameter(HelpMessage = "Extra HTTP headers sent with every request, as a hashtable. The values are kept for this process only: never saved, never displayed.")]
    public Hashtable? Header { get; set; }

    [Parameter(HelpMessage = "Extra HTTP headers whose values are read from environment variables at use, as a hashtable header-name = variable-name. Saved by variable name, so other processes send them too.")]
    public Hashtable? HeaderEnvironmentVariable { get; set; }

    [Parameter(HelpMessage = "Text appended to the display names of this provider's kernelspecs.")]
    public string? DisplayNameSuffix { get; set; }

    [Parameter(HelpMessage = "Timeout of one HTTP request (TimeSpan, or seconds).")]
    [TimeSpanArgument]
    [ValidatePositiveTimeSpan]
    public TimeSpan? RequestTimeout { get; set; }

    [Parameter(HelpMessage = "Timeout to connect to the server (TimeSpan, or seconds).")]
    [TimeSpanArgument]
    [ValidatePositiveTimeSpan]
    public TimeSpan? ConnectTimeout { get; set; }

    [Parameter(HelpMessage = "How long a remote kernel may take to start (TimeSpan, or seconds).")]
    [TimeSpanArgument]
    [ValidatePositiveTimeSpan]
    public TimeSpan? LaunchTimeout { get; set; }

    [Parameter(HelpMessage = "Do not validate the server's TLS certificate (testing only).")]
    public SwitchParameter SkipCertificateCheck { get; set; }

    [Parameter(HelpMessage = "PEM file of CA certificates to trust for this server.")]
    [ValidateNotNullOrEmpty]
    public string? CaBundle { get; set; }

    [Parameter(HelpMessage = "Client certificate file (PFX/PEM) for mutual TLS.")]
    [ValidateNotNullOrEmpty]
    public string? ClientCertificate { get; set; }

    [Parameter(HelpMessage = "Names of local environment variables that may be forwarded to remote kernels (KERNEL_* style).")]
    [ValidateNotNull]
    public string[]? EnvironmentAllowList { get; set; }

    [Parameter(HelpMessage = "Replace an existing provider of the same name.")]
    public SwitchParameter Force { get; set; }

    [Parameter(HelpMessage = "Write the registered provider.")]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        Uri uri;
        try
        {
            uri = KernelService.NormalizeProviderUrl(Url, Name); // the registry applies the same check again
        }
        catch (KernelException e)
        {
            WriteError(ErrorRecords.From(e, Name));
            return;
        }
        if (!ShouldProcess($"{Name} ({uri.GetLeftPart(UriPartial.Path)})", Force ? "Register kernel provider (replace)" : "Register kernel provider")) return;

        var headers = ToMap(Header);
        var headerEnvs = ToMap(HeaderEnvironmentVariable); // their names are checked when the provider is registered

        string? token = ParameterSetName switch
        {
            TokenParameterSet when Token is not null => new NetworkCredential(string.Empty, Token).Password,
            CredentialParameterSet when Credential is not null => Credential.GetNetworkCredential().Password,
            _ => null,
        };

        var registration = new ProviderRegistration
        {
            Name = Name,
            Url = Url,
            AuthScheme = AuthScheme,
            Token = token,
            TokenEnvironmentVariable = TokenEnvironmentVariable,
            DisplayNameSuffix = DisplayNameSuffix,
            Headers = headers,
            HeaderEnvironmentVariables = headerEnvs,
            RequestTimeout = RequestTimeout,
            ConnectTimeout = ConnectTimeout,
            LaunchTimeout = LaunchTimeout,
            ValidateCertificate = !SkipCertificateCheck.IsPresent,
            CaBundlePath = CaBundle is null ? null : GetUnresolvedProviderPathFromPSPath(CaBundle),
            ClientCertificatePath = ClientCertificate is null ? null : GetUnresolvedProviderPathFromPSPath(ClientCertificate),
            EnvironmentAllowList = EnvironmentAllowList ?? Array.Empty<string>(),
            Force = Force.IsPresent,
        };
        // Verbose text names the auth source only, never the token or header values.
        WriteVerbose($"Registering provider '{Name}' at {uri.GetLeftPart(UriPartial.Path)} (auth: {ParameterSetName}, {headers.Count} extra header(s), {headerEnvs.Count} from environment variables).");
        if (!TryRun(ct => Service.RegisterProviderAsync(registration, ct), Name, out var info)) return;
        // Said at registration, so nobody is surprised in the next process by a bare 403 or a missing
        // header: tokens given as values and header values are never saved.
        if (token is not null)
            WriteWarning(ErrorIds.ProviderTokenNotSaved, $"The token of provider '{Name}' is kept in this PowerShell process only (it is never written to disk): " +
                "other processes, and this one after it exits, get HTTP 403 from the provider. To share it, put the token in an environment " +
                $"variable and register with -TokenEnvironmentVariable <NAME> -Force.");
        else if (TokenEnvironmentVariable is not null && string.IsNullOrEmpty(System.Environment.GetEnvironmentVariable(TokenEnvironmentVariable)))
            WriteWarning(ErrorIds.ProviderTokenMissing, registration.MissingTokenHint()!);
        if (headers.Count > 0)
            WriteWarning(ErrorIds.ProviderHeaderNotSaved, $"The values of -Header ({string.Join(", ", headers.Keys)}) are kept for this PowerShell process only and are not saved; " +
                "other processes will not send them. To keep a header, put its value in an environment variable and use -HeaderEnvironmentVariable @{ 'Name' = 'VARIABLE' }.");
        if (PassThru) WriteObject(info);
    }

    private static Dictionary<string, string> ToMap(Hashtable? table)
    {
        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (table is not null)
            foreach (DictionaryEntry entry in table)
                map[entry.Key?.ToString() ?? ""] = entry.Value is PSObject pso ? pso.BaseObject?.ToString() ?? "" : entry.Value?.ToString() ?? "";
        return map;
    }
}
