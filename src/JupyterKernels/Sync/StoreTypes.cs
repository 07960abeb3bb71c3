namespace JupyterKernels.Sync;

/// <summary>Tuning knobs of <see cref="KernelStore"/>. Defaults suit interactive use and scheduled tasks alike.</summary>
public sealed record KernelStoreOptions
{
    /// <summary>Where <see cref="KernelStore.DefaultPath"/> puts the database when no path is given and
    /// <c>JUPYTERKERNELS_DB</c> is unset (null = LocalApplicationData/JupyterKernels).</summary>
    public string? DataDirectory { get; init; }

    /// <summary>SQLite's own busy handler (PRAGMA busy_timeout) per statement.</summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Our retry budget around a whole write transaction when SQLite still reports BUSY/LOCKED.
    /// Past it the caller gets <see cref="ErrorIds.StoreUnavailable"/>.</summary>
    public TimeSpan RetryBudget { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Open the store at this schema version instead of the newest (tests of migrations only).</summary>
    internal int? TargetSchemaVersion { get; init; }
}

/// <summary>A registered provider as the store keeps it. <see cref="ConfigJson"/> must never hold a secret (tokens
/// are kept in memory or referenced by environment-variable name); the store refuses obvious secret fields.</summary>
public sealed record StoredProvider
{
    public required string Name { get; init; }
    /// <summary>"local" or "gateway".</summary>
    public required string Kind { get; init; }
    public string ConfigJson { get; init; } = "{}";
    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>What <see cref="KernelStore.GetOrCreateSessionAsync"/> returns.</summary>
/// <param name="Session">The session (bound to <paramref name="Kernel"/>).</param>
/// <param name="Kernel">The kernel record of the session (contains the connection key: keep it internal).</param>
/// <param name="Created">True when this call started the kernel (new session, or a dead kernel replaced).</param>
/// <param name="ReplacedKernelId">The dead kernel the session pointed to before, when it was replaced.</param>
public sealed record SessionAcquisition(KernelSession Session, Providers.KernelRecord Kernel, bool Created, string? ReplacedKernelId);

/// <summary>Options of <see cref="KernelStore.GetOrCreateSessionAsync"/>.</summary>
public sealed record SessionCreateOptions
{
    public string? Path { get; init; }
    public string? Type { get; init; }
    /// <summary>A pending session (a creator is starting its kernel) older than this is taken over by a waiter,
    /// as is one whose creating process no longer exists.</summary>
    public TimeSpan PendingTimeout { get; init; } = TimeSpan.FromMinutes(3);
    /// <summary>How often a waiter re-reads a pending session.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(50);
}
