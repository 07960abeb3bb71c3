using System.Diagnostics;
using JupyterKernels.Bench.Harness;
using JupyterKernels.Connections;
using JupyterKernels.TestKernel;

namespace JupyterKernels.Bench.Benchmarks;

/// <summary>
/// Subshell round trip while the main shell is busy, on our protocol 5.5 test kernel (tests/TestKernel, started through
/// the real LocalKernelProvider by TestKernelHost): `print x` in a subshell while the main shell runs `sleep` vs
/// `print x` on the main shell of the same kernel when idle. A busy sample counts only if the main shell's sleep had
/// visibly started (its first output arrived) and had not finished when the subshell's reply and idle came back.
/// Rounds run three batches in rotating order: main idle, subshell while main busy, subshell idle (an extra view).
/// Samples are consumed as Invoke-KernelCode consumes them (a thread of its own blocks for outputs and completion).
/// Debian's ipykernel 6.17 has no subshells, so no Python reference kernel exists: the comparison is within one kernel.
/// </summary>
internal sealed class SubshellBenchmark : IBenchmark
{
    public string Name => "subshell";
    public string Description => "test kernel (protocol 5.5): `print x` in a subshell while the main shell sleeps vs main-shell round trip when idle";

    public async Task<BenchOutcome> RunAsync(BenchContext ctx, CancellationToken ct)
    {
        int rounds = ctx.Quick ? 2 : 20, perRound = ctx.Quick ? 10 : 30, warmup = ctx.Quick ? 3 : 10;
        const double sleepSeconds = 1; // enough for a batch even under heavy load; a sample taken after it ended is discarded
        await using var host = await TestKernelHost.StartAsync(new TestKernelStartOptions { StartTimeout = TimeSpan.FromSeconds(60) }, ct);
        var client = host.Client;
        var subshell = await TestKernelBench.CreateSubshellAsync(client, ct);
        var mainIdle = new List<double>();
        var subBusy = new List<double>();
        var subIdle = new List<double>();
        int discarded = 0, sleeps = 0;
        for (int i = 0; i < warmup; i++)
        {
            await TestKernelBench.RoundTripAsync(client, "print x", null, ct);
            await TestKernelBench.RoundTripAsync(client, "print x", subshell, ct);
        }

        async Task<(KernelExecution Exec, Task<KernelExecuteReply> Done)> StartBusyAsync()
        {
            // "print started" first: its output proves the main shell is executing before the sleep begins.
            var exec = await client.ExecuteAsync($"print started\nsleep {sleepSeconds}", new ExecuteOptions { Timeout = TimeSpan.FromSeconds(sleepSeconds + 60) }, ct);
            using var first = CancellationTokenSource.CreateLinkedTokenSource(ct);
            first.CancelAfter(TimeSpan.FromSeconds(30));
            await exec.Outputs.ReadAsync(first.Token);
            sleeps++;
            return (exec, exec.Completion);
        }

        async Task FinishBusyAsync((KernelExecution Exec, Task<KernelExecuteReply> Done) busy)
        {
            await foreach (var _ in busy.Exec.Outputs.ReadAllAsync(ct)) { }
            await busy.Done;
        }

        // Samples are taken as Invoke-KernelCode takes them: a thread of its own blocks for outputs and completion.
        var mainOptions = new ExecuteOptions { Timeout = TimeSpan.FromSeconds(60) };
        var subshellOptions = mainOptions with { SubShellId = subshell };
        double RoundTrip(ExecuteOptions options)
        {
            long t0 = Stopwatch.GetTimestamp();
            Common.RunBlocking(client, "print x", ct, options);
            return Stopwatch.GetElapsedTime(t0).TotalSeconds;
        }

        Task MainIdleBatch() => Common.OnDedicatedThread(() =>
        {
            for (int i = 0; i < perRound; i++) mainIdle.Add(RoundTrip(mainOptions));
        });

        Task SubshellBusyBatch() => Common.OnDedicatedThread(() =>
        {
            var busy = StartBusyAsync().GetAwaiter().GetResult();
            int got = 0;
            while (got < perRound)
            {
                var t = RoundTrip(subshellOptions);
                if (busy.Done.IsCompleted)
                {
                    // The main shell finished during (or before) this sample: it does not count; start another sleep.
                    discarded++;
                    FinishBusyAsync(busy).GetAwaiter().GetResult();
                    busy = StartBusyAsync().GetAwaiter().GetResult();
                    continue;
                }
                subBusy.Add(t);
                got++;
            }
            FinishBusyAsync(busy).GetAwaiter().GetResult();
        });

        Task SubshellIdleBatch() => Common.OnDedicatedThread(() =>
        {
            for (int i = 0; i < perRound; i++) subIdle.Add(RoundTrip(subshellOptions));
        });

        var batches = new Func<Task>[] { MainIdleBatch, SubshellBusyBatch, SubshellIdleBatch };
        for (int round = 0; round < rounds; round++)
        {
            // Rotate the batch order each round so drift in machine load hits all three alike.
            for (int k = 0; k < batches.Length; k++) await batches[(round + k) % batches.Length]();
            if ((round + 1) % 5 == 0 || round + 1 == rounds)
                Console.WriteLine($"  round {round + 1}/{rounds}: median subshell-while-busy {Stats.Median(subBusy) * 1e3:0.000} ms, main idle {Stats.Median(mainIdle) * 1e3:0.000} ms, subshell idle {Stats.Median(subIdle) * 1e3:0.000} ms");
        }

        var outcome = new BenchOutcome();
        outcome.Raw["rounds"] = rounds;
        outcome.Raw["main_idle_ms"] = Stats.Summary(mainIdle, 1e3);
        outcome.Raw["subshell_while_main_busy_ms"] = Stats.Summary(subBusy, 1e3);
        outcome.Raw["subshell_idle_ms"] = Stats.Summary(subIdle, 1e3);
        outcome.Raw["busy_sleeps"] = sleeps;
        outcome.Raw["discarded_samples"] = discarded;
        outcome.Rows.Add(new ResultRow
        {
            Benchmark = "subshell `print x` while main shell sleeps", Metric = "median vs main shell idle", Unit = "ms",
            Ours = Stats.Median(subBusy) * 1e3, Reference = Stats.Median(mainIdle) * 1e3, ReferenceName = "main shell, idle, same kernel",
            TargetKind = TargetKind.RatioAtMost, Target = 1.1,
            Note = $"test kernel (protocol 5.5, managed ZMTP), one KernelClient; {subBusy.Count} samples each in {rounds} rounds, main busy with `sleep {sleepSeconds}` ({sleeps} sleeps, {discarded} samples discarded because the sleep ended); " +
                   $"p90 busy {Stats.P90(subBusy) * 1e3:0.000} ms, idle {Stats.P90(mainIdle) * 1e3:0.000} ms; no Python reference (ipykernel 6.17 has no subshells)",
        });
        outcome.Rows.Add(new ResultRow
        {
            Benchmark = "subshell `print x`, main idle", Metric = "median vs main shell idle", Unit = "ms",
            Ours = Stats.Median(subIdle) * 1e3, Reference = Stats.Median(mainIdle) * 1e3, ReferenceName = "main shell, idle, same kernel",
            TargetKind = TargetKind.None, Note = "informational: the subshell's own routing cost without contention",
        });
        return outcome;
    }
}
