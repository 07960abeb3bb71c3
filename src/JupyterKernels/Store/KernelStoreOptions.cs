namespace JupyterKernels.Store;

/// <summary>Tuning knobs of <see cref="KernelStore"/>. Defaults suit interactive use and scheduled tasks alike.</summary>
internal sealed record KernelStoreOptions
{
    /// <summary>Where <see cref="KernelStore.DefaultPath"/> puts the database when no path is given and
    /// <c>JUPYTERKERNELS_DB</c> is unset (null = LocalApplicationData/JupyterKernels).</summary>
    public string? DataDirectory { get; init; }

    /// <summary>SQLite's own busy handler (PRAGMA busy_timeout) per statement.</summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Our retry budget around a whole write transaction when SQLite still reports BUSY/LOCKED.
    /// Past it the caller gets <see cref="ErrorIds.StoreUnavailable"/>.</summary>
    public TimeSpan RetryBudget { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Also run SQLite's <c>PRAGMA quick_check</c> when opening (a damaged file is StoreInvalid before anything
    /// reads or writes it). The Service asks for it when it reopens a store after a store error.</summary>
    public bool VerifyIntegrity { get; init; }

    /// <summary>Open the store at this schema version instead of the newest (tests of migrations only).</summary>
    internal int? TargetSchemaVersion { get; init; }
}
