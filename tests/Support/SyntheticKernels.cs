using JupyterKernels.Providers;
using JupyterKernels.Store;
using JupyterKernels.Providers.Local;

namespace JupyterKernels.TestSupport;

/// <summary>Synthetic kernel records for benchmarks (bench/ times the synchronizer over 100/1,000/10,000 records) and
/// tests. Linked into both projects as source, never shipped in the module. Ids are "{prefix}{i:D8}"; remote records
/// get RemoteId = Id.</summary>
internal static class SyntheticKernels
{
    public static IReadOnlyList<KernelRecord> Create(int count, string provider, bool remote, DateTimeOffset now, string prefix = "syn-")
    {
        var list = new KernelRecord[count];
        for (var i = 0; i < count; i++)
        {
            var id = $"{prefix}{i:D8}";
            list[i] = new KernelRecord
            {
                Id = id,
                Provider = provider,
                RemoteId = remote ? id : null,
                SpecName = remote ? $"{provider}/python3" : "python3",
                DisplayName = "Python 3",
                ProviderData = remote ? null : new LocalKernelData
                {
                    ConnectionInfoJson = $$"""{"ip":"127.0.0.1","shell_port":{{40000 + i % 20000}},"key":"synthetic-{{i}}"}""",
                    Pid = 100000 + i,
                }.ToJson(),
                InterruptMode = remote ? "message" : "signal",
                CreatedAt = now.AddMinutes(-i % 600),
                LastSeenAt = now.AddMinutes(-1),
                LastActivityAt = now.AddMinutes(-(i % 120)),
                State = KernelState.Idle,
                Connections = remote ? i % 2 : null,
                Owner = "bench@localhost",
            };
        }
        return list;
    }

    /// <summary>Inserts <paramref name="count"/> synthetic records in one transaction.</summary>
    public static async Task<IReadOnlyList<KernelRecord>> SeedAsync(KernelStore store, int count, string provider, bool remote, CancellationToken cancellationToken = default)
    {
        var records = Create(count, provider, remote, DateTimeOffset.UtcNow);
        await store.AddKernelsAsync(records, cancellationToken).ConfigureAwait(false);
        return records;
    }
}
