using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using JupyterKernels.Bench.Harness;
using JupyterKernels.Providers;
using JupyterKernels.Providers.Gateway;
using JupyterKernels.Service;
using JupyterKernels.Store;
using JupyterKernels.Sync;
using JupyterKernels.TestSupport;

namespace JupyterKernels.Bench.Benchmarks;

/// <summary>
/// The Synchronizer over 100 / 1,000 / 10,000 recorded remote kernels: a real SQLite store (KernelStore, seeded with
/// SyntheticKernels) and a real GatewayKernelProvider pointed at a tiny loopback HTTP fixture that serves a recorded
/// /api/kernels listing of exactly those ids (and /api/kernelspecs). Every record is listed, so the run is one HTTP
/// listing, dictionary look-ups and one write transaction. No external reference exists: absolute targets.
/// </summary>
internal sealed class SyncBenchmark : IBenchmark
{
    public string Name => "sync";
    public string Description => "Synchronizer over 100 / 1,000 / 10,000 recorded remote kernels (real SQLite store, GatewayKernelProvider on a loopback fixture); no reference";

    private const string ProviderName = "srv";

    public async Task<BenchOutcome> RunAsync(BenchContext ctx, CancellationToken ct)
    {
        var sizes = new[] { 100, 1_000, 10_000 };
        var outcome = new BenchOutcome();
        await using var fixture = RecordedGateway.Start();
        var medians = new Dictionary<int, double>();
        foreach (var n in sizes)
        {
            int reps = ctx.Quick ? 2 : n switch { <= 100 => 30, <= 1_000 => 15, _ => 5 };
            var dbPath = Path.Combine(ctx.Root, $"sync-{n}.db");
            await using var store = await KernelStore.OpenAsync(dbPath, null, ct);
            var records = await SyntheticKernels.SeedAsync(store, n, ProviderName, remote: true, ct);
            fixture.SetKernels(records);
            await using var provider = new GatewayKernelProvider(ProviderName, new GatewayOptions
            {
                BaseUrl = fixture.BaseUrl, Token = "bench", RequestTimeout = TimeSpan.FromSeconds(60),
            });
            var sync = new Synchronizer(store, new Dictionary<string, IKernelProvider> { [ProviderName] = provider });
            var seconds = new List<double>();
            IReadOnlyList<SyncResult>? last = null;
            for (int rep = -1; rep < reps; rep++) // rep -1: warm-up (first HTTP connection, JIT, first updates)
            {
                var failures = new FailedProviders();
                long t0 = Stopwatch.GetTimestamp();
                var results = await sync.RunAsync(new SyncOptions(), null, failures, ct);
                var elapsed = Stopwatch.GetElapsedTime(t0).TotalSeconds;
                if (results.Count != n || failures.Messages.Count > 0 || results.Any(r => r.Action == SyncAction.Failed))
                    throw new InvalidOperationException($"sync of {n} records gave {results.Count} results, failures: {string.Join("; ", failures.Messages)}");
                if (rep >= 0) seconds.Add(elapsed);
                last = results;
            }
            var alive = last!.Count(r => r.Action is SyncAction.Kept or SyncAction.Updated);
            if (alive != n) throw new InvalidOperationException($"expected all {n} records alive, got {alive}");
            double med = Stats.Median(seconds);
            medians[n] = med;
            outcome.Raw[$"n{n}_seconds"] = Stats.Summary(seconds);
            outcome.Raw[$"n{n}_listing_bytes"] = fixture.ListingBytes;
            Console.WriteLine($"  {n,6} records: median {med * 1e3:0.0} ms ({med / n * 1e6:0.0} µs/record), {reps} runs");
            outcome.Rows.Add(new ResultRow
            {
                Benchmark = $"sync {n:#,0} remote records", Metric = "median Synchronizer run", Unit = "ms",
                Ours = med * 1e3, TargetKind = n == 1_000 ? TargetKind.ValueAtMost : TargetKind.None, Target = n == 1_000 ? 1000 : null,
                Note = $"{reps} runs after a warm-up; p90 {Stats.P90(seconds) * 1e3:0.0} ms; per record {med / n * 1e6:0.0} µs; listing {fixture.ListingBytes / 1024.0:0} KiB; no external reference",
            });
        }
        double per100 = medians[100] / 100, per10k = medians[10_000] / 10_000;
        double slope = (medians[10_000] - medians[1_000]) / 9_000;
        outcome.Rows.Add(new ResultRow
        {
            Benchmark = "sync linearity", Metric = "per-record cost 10,000 / 100", Unit = "x",
            Ours = per10k / per100, TargetKind = TargetKind.ValueAtMost, Target = 1.5,
            Note = $"per record: 100 → {per100 * 1e6:0.0} µs, 1,000 → {medians[1_000] / 1_000 * 1e6:0.0} µs, 10,000 → {per10k * 1e6:0.0} µs; " +
                   $"marginal cost 1,000→10,000 {slope * 1e6:0.0} µs/record; below 1 means fixed per-run cost (HTTP request, transaction) dominates at 100; target ~1 (≤ 1.5: not superlinear)",
        });
        return outcome;
    }

    /// <summary>Loopback HTTP/1.1 fixture (TcpListener, keep-alive) serving a recorded Jupyter Server API:
    /// GET /api/kernels (the current listing), /api/kernels/{id}, /api/kernelspecs. Anything else: 404.</summary>
    private sealed class RecordedGateway : IAsyncDisposable
    {
        private readonly TcpListener _listener;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _accept;
        private readonly List<Task> _connections = new();
        private volatile byte[] _listing = "[]"u8.ToArray();
        private volatile HashSet<string> _ids = new();
        private static readonly byte[] Specs = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
        {
            @default = "python3",
            kernelspecs = new Dictionary<string, object>
            {
                ["python3"] = new { name = "python3", spec = new { argv = new[] { "python3" }, display_name = "Python 3", language = "python", interrupt_mode = "signal" }, resources = new { } },
            },
        }));

        private RecordedGateway()
        {
            _listener = new TcpListener(IPAddress.Loopback, 0);
            _listener.Start();
            BaseUrl = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
            _accept = AcceptAsync();
        }

        public static RecordedGateway Start() => new();
        public Uri BaseUrl { get; }
        public int ListingBytes => _listing.Length;

        public void SetKernels(IReadOnlyList<KernelRecord> records)
        {
            var now = DateTimeOffset.UtcNow;
            var list = records.Select((r, i) => new Dictionary<string, object?>
            {
                ["id"] = r.RemoteId ?? r.Id,
                ["name"] = "python3",
                ["last_activity"] = (r.LastActivityAt ?? now).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'"),
                ["execution_state"] = "idle",
                ["connections"] = r.Connections ?? 0,
            }).ToList();
            _ids = records.Select(r => r.RemoteId ?? r.Id).ToHashSet();
            _listing = JsonSerializer.SerializeToUtf8Bytes(list);
        }

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient c;
                try { c = await _listener.AcceptTcpClientAsync(_stop.Token); }
                catch (Exception) { return; }
                lock (_connections) _connections.Add(ServeAsync(c));
            }
        }

        private async Task ServeAsync(TcpClient client)
        {
            using var _ = client;
            client.NoDelay = true;
            var stream = client.GetStream();
            var reader = new StreamReader(stream, Encoding.ASCII, false, 8192, leaveOpen: true);
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    var requestLine = await reader.ReadLineAsync(_stop.Token);
                    if (requestLine is null) return;
                    int contentLength = 0;
                    string? line;
                    while (!string.IsNullOrEmpty(line = await reader.ReadLineAsync(_stop.Token)))
                        if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)) contentLength = int.Parse(line[15..].Trim());
                    if (contentLength > 0) { var buf = new char[contentLength]; await reader.ReadBlockAsync(buf, _stop.Token); }
                    var parts = requestLine.Split(' ');
                    var path = parts.Length > 1 ? parts[1].Split('?')[0].TrimEnd('/') : "";
                    byte[]? body = null;
                    if (parts[0] == "GET")
                    {
                        if (path == "/api/kernels") body = _listing;
                        else if (path == "/api/kernelspecs") body = Specs;
                        else if (path.StartsWith("/api/kernels/", StringComparison.Ordinal) && _ids.Contains(path[13..]))
                            body = JsonSerializer.SerializeToUtf8Bytes(new { id = path[13..], name = "python3", execution_state = "idle", connections = 0 });
                    }
                    var head = body is null
                        ? "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
                        : $"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n";
                    await stream.WriteAsync(Encoding.ASCII.GetBytes(head), _stop.Token);
                    if (body is not null) await stream.WriteAsync(body, _stop.Token);
                }
            }
            catch (Exception) { /* connection closed or fixture stopping */ }
        }

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            _listener.Stop();
            await _accept;
            Task[] conns;
            lock (_connections) conns = _connections.ToArray();
            await Task.WhenAll(conns);
            _stop.Dispose();
        }
    }

    /// <summary>The providers a run could not sync, as its observer heard them.</summary>
    private sealed class FailedProviders : ISyncObserver
    {
        public List<string> Messages { get; } = new();
        public void Progress(string activity) { }
        public void Warning(KernelWarning warning) { }
        public void ProviderFailed(KernelException failure) { lock (Messages) Messages.Add(failure.Message); }
    }
}
