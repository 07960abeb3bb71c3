using JupyterKernels.Kernelspecs;
using JupyterKernels.Providers;

namespace JupyterKernels.Service;

/// <summary>Where the service keeps its state; tests point it at temp dirs.</summary>
public sealed record KernelServiceOptions
{
    /// <summary>SQLite store path (null = $JUPYTERKERNELS_DB, else jupyterkernels.db in the Jupyter data dir).</summary>
    public string? DatabasePath { get; init; }

    /// <summary>Jupyter paths (data, runtime, config — where the providers file lives —, kernelspec dirs); null = this process's environment.</summary>
    internal JupyterPaths? Paths { get; init; }

    /// <summary>The local provider; null = one over <see cref="Paths"/>.</summary>
    internal IKernelProvider? LocalProvider { get; init; }

    /// <summary>How long a new connection may take to prove itself (kernel_info + IOPub).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A cached connection unused this long (no call waiting on it) is closed, so that a long-running
    /// PowerShell does not count as a client of every kernel it ever touched — Jupyter Server's culler keeps kernels
    /// with open connections. The next call reconnects. Zero or negative = never close.
    /// $JUPYTERKERNELS_CONNECTION_IDLE_SECONDS overrides the default of 10 minutes.</summary>
    public TimeSpan IdleConnectionTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Listing the kernelspecs of all providers ends after this long, with a warning for each provider still
    /// silent; listing one provider (-Provider) waits for its own timeouts instead.</summary>
    public TimeSpan SpecListingBudget { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Control requests (subshells) wait this long for a reply.</summary>
    public TimeSpan ControlTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Where JUPYTER_GATEWAY_* are read from (the process environment by default).</summary>
    public Func<string, string?> GetEnvironmentVariable { get; init; } = Environment.GetEnvironmentVariable;

    public static KernelServiceOptions FromEnvironment() => new()
    {
        DatabasePath = Environment.GetEnvironmentVariable("JUPYTERKERNELS_DB") is { Length: > 0 } db ? db : null,
        IdleConnectionTimeout = double.TryParse(Environment.GetEnvironmentVariable("JUPYTERKERNELS_CONNECTION_IDLE_SECONDS"),
            System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            ? TimeSpan.FromSeconds(seconds) : TimeSpan.FromMinutes(10),
    };
}
