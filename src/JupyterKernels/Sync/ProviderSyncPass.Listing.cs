using JupyterKernels.Providers;

namespace JupyterKernels.Sync;

// A remote provider's listing within the sync's time budget.
internal sealed partial class ProviderSyncPass
{
    /// <summary>The provider's listing, with progress once a second and ended (ProviderTimeout) when the budget is spent,
    /// even if the provider ignores cancellation.</summary>
    private static async Task<ProviderKernelListing> ListWithinBudgetAsync(IKernelProvider provider, SyncOptions options, ISyncObserver observer, CancellationToken ct)
    {
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (options.ListBudget is { } b) budget.CancelAfter(b);
        var listing = provider.ListKernelsAsync(budget.Token);
        var started = System.Diagnostics.Stopwatch.StartNew();
        observer.Progress($"Listing the kernels of provider '{provider.Name}'");
        var abandoned = false;
        while (!listing.IsCompleted && !abandoned)
        {
            await Task.WhenAny(listing, Task.Delay(TimeSpan.FromSeconds(1), ct)).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
            if (listing.IsCompleted) break;
            abandoned = budget.IsCancellationRequested && started.Elapsed > options.ListBudget!.Value + TimeSpan.FromSeconds(5);
            observer.Progress($"Waiting for provider '{provider.Name}' to list its kernels ({started.Elapsed.TotalSeconds:0} s)");
        }
        if (abandoned)
            _ = listing.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        try
        {
            if (abandoned) throw new OperationCanceledException(budget.Token);
            return await listing.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new KernelException(ErrorIds.ProviderTimeout, KernelErrorCategory.OperationTimeout,
                $"Provider '{provider.Name}' did not list its kernels within {options.ListBudget!.Value.TotalSeconds:0.#} s.", provider.Name);
        }
    }
}
