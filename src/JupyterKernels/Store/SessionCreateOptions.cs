namespace JupyterKernels.Store;

/// <summary>Options of <see cref="KernelStore.GetOrCreateSessionAsync"/>.</summary>
internal sealed record SessionCreateOptions
{
    public string? Path { get; init; }
    public string? Type { get; init; }
    /// <summary>A pending session (a creator is starting its kernel) older than this is taken over by a waiter,
    /// as is one whose creating process no longer exists.</summary>
    public TimeSpan PendingTimeout { get; init; } = TimeSpan.FromMinutes(3);
    /// <summary>How often a waiter re-reads a pending session.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(50);
}
