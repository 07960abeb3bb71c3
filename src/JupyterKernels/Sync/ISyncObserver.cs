namespace JupyterKernels.Sync;

/// <summary>
/// What a sync says while it runs, besides its results: what it waits for, what it could not establish, and which
/// provider it could not sync. The one channel for all three; each failed provider is reported here once, and only here.
/// Called from background threads.
/// </summary>
public interface ISyncObserver
{
    /// <summary>What the sync is waiting for (which provider, how long), about once a second while it waits.</summary>
    void Progress(string activity);

    /// <summary>A probe or a cull's shutdown failed; the record concerned is kept (its result says so).</summary>
    void Warning(KernelWarning warning);

    /// <summary>A provider could not be synced (<see cref="ErrorIds.SyncProviderFailed"/>, its records left unchanged) or
    /// was asked for and is not known (<see cref="ErrorIds.ProviderNotFound"/>); the target is its name.</summary>
    void ProviderFailed(KernelException failure);
}

/// <summary>The observer a sync reports to when its caller gives none (it hears nothing), and the one failure a
/// provider that could not be synced is reported as.</summary>
internal sealed class SyncObserver : ISyncObserver
{
    private SyncObserver() { }

    /// <summary>The caller's observer, or one that hears nothing.</summary>
    public static ISyncObserver For(ISyncObserver? observer) => observer ?? Silent;

    private static readonly ISyncObserver Silent = new SyncObserver();

    public void Progress(string activity) { }

    public void Warning(KernelWarning warning) { }

    public void ProviderFailed(KernelException failure) { }

    /// <summary>The one error for a provider that could not be listed: <paramref name="reason"/> says why.</summary>
    public static KernelException Unsynced(string provider, string reason, Exception? inner) =>
        new(ErrorIds.SyncProviderFailed, KernelErrorCategory.ConnectionError,
            $"Provider '{provider}' could not be synced ({reason}); its records were left unchanged.", provider, inner);

    /// <summary>Why a listing failed, as a result's reason says it.</summary>
    public static string Reason(Exception e) => e is KernelException ke ? $"{ke.ErrorId}: {ke.Message}" : e.Message;
}
