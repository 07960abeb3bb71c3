// StoreStress: hammers one KernelStore file from one process; several instances run at once.
//   StoreStress mixed  <db> <childId> <seconds> <outFile> [startAtUnixMs]
//   StoreStress hammer <db> <childId>
// mixed: add/update/remove own records, subshells, syncs, and GetOrCreateSession on shared names; writes a JSON report.
// hammer: commits batches of 200 records forever, printing "committed N" after each commit (to be killed with -9).
using System.Collections.Concurrent;
using System.Text.Json;
using JupyterKernels;
using JupyterKernels.Connections;
using JupyterKernels.Providers;
using JupyterKernels.Providers.Local;
using JupyterKernels.Service;
using JupyterKernels.Store;
using JupyterKernels.Sync;

try
{
    return args[0] switch
    {
        "mixed" => await Mixed(args[1], args[2], double.Parse(args[3]), args[4], args.Length > 5 ? long.Parse(args[5]) : 0),
        "hammer" => await Hammer(args[1], args[2]),
        _ => 2,
    };
}
catch (Exception e)
{
    Console.Error.WriteLine($"FAILED: {e}");
    return 1;
}

static KernelRecord NewRecord(string id, string provider) => new()
{
    Id = id,
    Provider = provider,
    SpecName = "python3",
    ProviderData = new LocalKernelData { ConnectionInfoJson = """{"key":"k"}""", Pid = Environment.ProcessId }.ToJson(),
    CreatedAt = DateTimeOffset.UtcNow,
    State = KernelState.Starting,
    Owner = "stress",
};

static async Task<int> Mixed(string db, string child, double seconds, string outFile, long startAt)
{
    await using var store = await KernelStore.OpenAsync(db);
    var wait = startAt - DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    if (wait > 0) await Task.Delay(TimeSpan.FromMilliseconds(wait));
    var deadline = DateTime.UtcNow.AddSeconds(seconds);
    var present = new List<string>();
    var removed = new List<string>();
    var sessionKernels = new Dictionary<string, HashSet<string>>();
    var starts = new ConcurrentDictionary<string, int>();
    var provider = new AliveProvider("stress-local");
    var sync = new Synchronizer(store, new Dictionary<string, IKernelProvider> { ["stress-local"] = provider });
    var syncOptions = new SyncOptions { Providers = new[] { "stress-local" } };
    int i = 0, syncs = 0;
    while (DateTime.UtcNow < deadline)
    {
        i++;
        var id = $"{child}-{i}";
        await store.AddKernelAsync(NewRecord(id, "stress-local"));
        var rec = await store.GetKernelAsync(id) ?? throw new Exception($"lost {id} right after insert");
        if (!await store.UpdateKernelAsync(rec with { State = KernelState.Busy, LastActivityAt = DateTimeOffset.UtcNow }))
            throw new Exception($"update of {id} found no row");
        var back = await store.GetKernelAsync(id) ?? throw new Exception($"lost {id} after update");
        if (back.State != KernelState.Busy && back.State != KernelState.Idle) throw new Exception($"{id} has state {back.State}");
        if (i % 5 == 0) await store.AddSubShellAsync(id, "sub-" + i);
        if (i % 3 == 0)
        {
            if (!await store.RemoveKernelAsync(id)) throw new Exception($"remove of {id} found no row");
            removed.Add(id);
        }
        else present.Add(id);

        if (i % 7 == 0)
        {
            foreach (var r in await sync.RunAsync(syncOptions, null, null, CancellationToken.None))
                if (r.Action is SyncAction.Failed or SyncAction.Removed or SyncAction.MarkedDead or SyncAction.Culled)
                    throw new Exception($"unexpected sync result {r}");
            syncs++;
        }

        if (i % 2 == 0)
        {
            var name = $"s{(i / 2) % 12}";
            var acq = await store.GetOrCreateSessionAsync(name,
                async ct =>
                {
                    starts.AddOrUpdate(name, 1, (_, n) => n + 1);
                    await Task.Delay(30, ct); // widen the race window: a kernel start takes time
                    return NewRecord($"{child}-sess-{Guid.NewGuid():N}", "stress-sess") with { State = KernelState.Idle };
                },
                (_, _) => Task.FromResult(true));
            if (!sessionKernels.TryGetValue(name, out var set)) sessionKernels[name] = set = new HashSet<string>();
            set.Add(acq.Kernel.Id);
        }
    }
    var report = new Report(child, i, syncs, present, removed,
        sessionKernels.ToDictionary(kv => kv.Key, kv => kv.Value.ToList()), starts.ToDictionary(kv => kv.Key, kv => kv.Value));
    await File.WriteAllTextAsync(outFile, JsonSerializer.Serialize(report));
    return 0;
}

static async Task<int> Hammer(string db, string child)
{
    await using var store = await KernelStore.OpenAsync(db);
    for (var batch = 0; ; batch++)
    {
        var records = Enumerable.Range(0, 200).Select(j => NewRecord($"{child}-h{batch}-{j}", "hammer")).ToList();
        await store.AddKernelsAsync(records);
        Console.Out.WriteLine($"committed {batch + 1}");
        Console.Out.Flush();
    }
}

public sealed record Report(string Child, int Iterations, int Syncs, List<string> Present, List<string> Removed,
    Dictionary<string, List<string>> SessionKernels, Dictionary<string, int> Starts);

sealed class AliveProvider(string name) : IKernelProvider
{
    public string Name => name;
    public string Kind => "local";
    public ProviderCapabilities Capabilities => ProviderCapabilities.ProbesEachKernel;
    public Task<KernelProbe> ProbeAsync(KernelRecord kernel, CancellationToken cancellationToken) =>
        Task.FromResult(new KernelProbe(KernelLiveness.Alive, "stress: always alive") { State = KernelState.Idle });
    public Task<ProviderKernelListing> ListKernelsAsync(CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task<IReadOnlyList<KernelSpec>> GetKernelSpecsAsync(bool refresh, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task<KernelRecord> StartKernelAsync(KernelStartRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task<IKernelChannels> ConnectAsync(KernelRecord kernel, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task InterruptAsync(KernelRecord kernel, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task<KernelRecord> RestartAsync(KernelRecord kernel, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task ShutdownAsync(KernelRecord kernel, bool now, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task<IReadOnlyList<string>> SaveKernelSpecResourcesAsync(string specName, string folder, CancellationToken cancellationToken) => throw new NotSupportedException();
    public ProviderKernelView Describe(KernelRecord kernel) => default;
    public KernelClientOptions GetClientOptions(KernelRecord kernel) => new();
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
