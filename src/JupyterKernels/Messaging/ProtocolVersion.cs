namespace JupyterKernels.Messaging;

internal static class ProtocolVersion
{
    /// <summary>What we put in headers: jupyter_client 8.x sends 5.4; 5.5 features are detected, not assumed.</summary>
    public const string Current = "5.4";
}
