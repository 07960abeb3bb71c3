using JupyterKernels.Bench.Benchmarks;

namespace JupyterKernels.Bench.Harness;

/// <summary>A named benchmark: measures ours and the reference in the same run and returns table rows + raw data.</summary>
internal interface IBenchmark
{
    /// <summary>Short name used on the command line (<c>bench/run.sh roundtrip</c>).</summary>
    string Name { get; }
    string Description { get; }
    Task<BenchOutcome> RunAsync(BenchContext ctx, CancellationToken ct);
}

/// <summary>
/// Every benchmark, in run order. To add one: implement <see cref="IBenchmark"/> in bench/Benchmarks/ (Python side
/// in bench/python/, served through <see cref="PythonHelper"/>) and add it here (and to bench/README.md's table).
/// </summary>
internal static class BenchmarkRegistry
{
    public static IReadOnlyList<IBenchmark> All { get; } = new IBenchmark[]
    {
        new RoundTripBenchmark(),
        new PrintFloodBenchmark(),
        new ZmtpThroughputBenchmark(),
        new StartToReadyBenchmark(),
        new IdleCostBenchmark(),
        new ConcurrentStartBenchmark(),
        new RemoteBenchmark(),
        new SyncBenchmark(),
        new SubshellBenchmark(),
        new BusyConnectBenchmark(),
        new ActivityRecordingBenchmark(),
        new ImportBenchmark(),
        new NotebookBenchmark(),
        new ColdProcessBenchmark(),
        new ScaleBenchmark(),
        new OtherKernelsBenchmark(),
    };
}
