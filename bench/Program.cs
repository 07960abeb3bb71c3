using System.Diagnostics;
using System.Runtime.InteropServices;
using JupyterKernels.Bench.Harness;

namespace JupyterKernels.Bench;

/// <summary>
/// bench/run.sh [--quick] [--out DIR] [name ...]: runs the named benchmarks (all by default), prints the table and
/// writes DIR/latest.json and DIR/latest.md (DIR defaults to bench/results) for a full run; a run of some benchmarks
/// only, or a --quick one, writes DIR/partial-&lt;names&gt;.{json,md} (DIR/quick-...) instead, so latest.md always holds the
/// last full run. --list shows the names.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        bool quick = false;
        string outDir = Path.Combine(FindBenchDir(), "results");
        var names = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick": quick = true; break;
                case "--out": outDir = args[++i]; break;
                case "--list":
                    foreach (var b in BenchmarkRegistry.All) Console.WriteLine($"{b.Name,-12} {b.Description}");
                    return 0;
                case "-h" or "--help":
                    Console.WriteLine("usage: bench/run.sh [--quick] [--out DIR] [--list] [name ...]");
                    return 0;
                default: names.Add(args[i]); break;
            }
        }
        var selected = names.Count == 0 ? BenchmarkRegistry.All.ToList()
            : names.Select(n => BenchmarkRegistry.All.FirstOrDefault(b => b.Name.Equals(n, StringComparison.OrdinalIgnoreCase))
                ?? throw new ArgumentException($"unknown benchmark '{n}' (try --list)")).ToList();

        using var cts = new CancellationTokenSource();
        await using var ctx = new BenchContext(quick);
        // Ctrl+C / SIGTERM: cancel, let every benchmark unwind and the context shut everything down. A second
        // Ctrl+C falls through to the process-exit handler, which kills what is left synchronously.
        int interrupts = 0;
        Console.CancelKeyPress += (_, e) =>
        {
            if (Interlocked.Increment(ref interrupts) == 1) { e.Cancel = true; Console.Error.WriteLine("cancelling; cleaning up..."); cts.Cancel(); }
        };
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; cts.Cancel(); });
        AppDomain.CurrentDomain.ProcessExit += (_, _) => ctx.EmergencyCleanup();

        var machine = await MachineInfo.CollectAsync(cts.Token);
        Console.WriteLine($"JupyterKernels bench: {machine["cores"]} cores, {machine["memory_total_mib"]} MiB, {machine["dotnet"]}, load {string.Join(" ", (double[]?)machine["load_average_at_start"] ?? Array.Empty<double>())}{(quick ? " [quick]" : "")}");
        var outcomes = new List<(string, BenchOutcome)>();
        var total = Stopwatch.StartNew();
        try
        {
            foreach (var bench in selected)
            {
                if (cts.IsCancellationRequested) break;
                Console.WriteLine($"== {bench.Name}: {bench.Description}");
                var sw = Stopwatch.StartNew();
                BenchOutcome outcome;
                try
                {
                    outcome = await bench.RunAsync(ctx, cts.Token);
                }
                catch (Exception e)
                {
                    outcome = new BenchOutcome { Error = cts.IsCancellationRequested ? "cancelled" : e.ToString() };
                    Console.Error.WriteLine($"  {bench.Name} failed: {e}");
                }
                outcome.WallSeconds = sw.Elapsed.TotalSeconds;
                outcomes.Add((bench.Name, outcome));
                foreach (var row in outcome.Rows)
                    Console.WriteLine($"  {row.Metric}: ours {Report.Format(row.Ours, row.Unit)}, ref {Report.Format(row.Reference, row.Unit)}, ratio {(row.Ratio is { } r ? r.ToString("0.00") + "x" : "—")}, met {Report.MetText(row.Met)}");
                Console.WriteLine($"  ({sw.Elapsed.TotalSeconds:0.0} s, load {string.Join(" ", MachineInfo.LoadAverage() ?? Array.Empty<double>())})");
            }
        }
        finally
        {
            Console.WriteLine("shutting down kernels and helpers...");
            await ctx.DisposeAsync();
        }
        machine["load_average_at_end"] = MachineInfo.LoadAverage();
        machine["total_seconds"] = total.Elapsed.TotalSeconds;
        machine["quick"] = quick;
        machine["selected"] = selected.Select(b => b.Name).ToArray();
        var loads = new[] { (double[]?)machine["load_average_at_start"], (double[]?)machine["load_average_at_end"] };
        bool underLoad = loads.Any(l => l is not null && l[0] >= Environment.ProcessorCount / 2.0);

        Console.WriteLine();
        Report.PrintConsole(outcomes);
        Directory.CreateDirectory(outDir);
        var stem = ResultFileStem(names.Count == 0, quick, selected.Select(b => b.Name));
        await File.WriteAllTextAsync(Path.Combine(outDir, stem + ".json"), Report.Json(outcomes, machine, underLoad));
        await File.WriteAllTextAsync(Path.Combine(outDir, stem + ".md"), Report.Markdown(outcomes, machine, underLoad));
        Console.WriteLine();
        Console.WriteLine($"wrote {Path.Combine(outDir, stem + ".md")} and {stem}.json ({total.Elapsed.TotalSeconds:0} s{(underLoad ? ", measured under load" : "")})");
        return cts.IsCancellationRequested ? 130 : outcomes.Any(o => o.Item2.Error is not null) ? 1 : 0;
    }

    /// <summary>
    /// "latest" for a full run; a partial run names its benchmarks ("partial-roundtrip-zmtp"), a quick one says so, so
    /// neither replaces the last full run's table.
    /// </summary>
    internal static string ResultFileStem(bool full, bool quick, IEnumerable<string> names) =>
        (quick ? "quick" : full ? "latest" : "partial") + (full ? "" : "-" + string.Join("-", names));

    /// <summary>The bench/ folder of the source tree (results go there), found upward from the binary.</summary>
    private static string FindBenchDir()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "JupyterKernels.Bench.csproj"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }
}
