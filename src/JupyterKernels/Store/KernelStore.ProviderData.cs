namespace JupyterKernels.Store;

internal sealed partial class KernelStore
{
    /// <summary>Replaces a record's provider data only if it is still <paramref name="expected"/> (a restart that wrote a
    /// new process meanwhile wins). Returns whether it was replaced.</summary>
    public Task<bool> ReplaceProviderDataAsync(string id, string? expected, string replacement, CancellationToken cancellationToken = default)
        => WriteAsync((c, tx) => Exec(c, tx, "UPDATE kernels SET provider_data = $new WHERE id = $id AND provider_data IS $old",
            new (string, object?)[] { ("$id", id), ("$old", expected), ("$new", replacement) }) > 0, cancellationToken);
}
