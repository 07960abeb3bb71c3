using System.Diagnostics;
using JupyterKernels.Bench.Harness;
using JupyterKernels.Connections;
using JupyterKernels.TestKernel;
using JupyterKernels.Providers.Local;

namespace JupyterKernels.Bench.Benchmarks;

/// <summary>
/// A fresh connection to a kernel whose main shell is busy (`sleep` on our protocol 5.5 test kernel), until a
/// subshell answers. Ours: new channels + KernelClient, readiness (kernel_info on control + IOPub proven: what every new
/// connection of a process does), create_subshell_request, execute in the subshell until reply AND idle. Reference:
/// jupyter_client by hand (new BlockingKernelClient, start_channels, create_subshell_request on control, execute with
/// header.subshell_id until the execute_reply; no readiness wait, no idle). Samples alternate in batches; both sides
/// delete their subshell and close their connection, untimed, after each sample.
/// </summary>
internal sealed class BusyConnectBenchmark : IBenchmark
{
    public string Name => "busyconnect";
    public string Description => "fresh connection to a kernel whose main shell is busy, until a subshell answers: ours vs jupyter_client by hand";

    public async Task<BenchOutcome> RunAsync(BenchContext ctx, CancellationToken ct)
    {
        int rounds = ctx.Quick ? 2 : 6, perRound = ctx.Quick ? 3 : 10;
        await using var host = await TestKernelHost.StartAsync(new TestKernelStartOptions { StartTimeout = TimeSpan.FromSeconds(60) }, ct);
        var busy = await TestKernelBench.BusyMainShellAsync(host.Client, 3600, ct);
        var info = ConnectionFile.Parse(LocalKernelData.Of(host.Record).ConnectionInfoJson!);
        var helper = await ctx.StartHelperAsync("busyconnect.py", ct);
        var ours = new List<double>();
        var reference = new List<double>();

        async Task<double> OursOnceAsync()
        {
            long t0 = Stopwatch.GetTimestamp();
            var channels = await ZmtpKernelChannels.ConnectAsync(info, Guid.NewGuid().ToString("N"), ct);
            var client = new KernelClient(host.Record.Id, channels);
            await client.WaitForReadyAsync(TimeSpan.FromSeconds(30), ct);
            var subshell = await client.CreateSubshellAsync(TimeSpan.FromSeconds(30), ct);
            var execution = await client.ExecuteAsync("print x", new ExecuteOptions { SubShellId = subshell, Timeout = TimeSpan.FromSeconds(30) }, ct);
            await foreach (var _ in execution.Outputs.ReadAllAsync(ct)) { }
            var reply = await execution.Completion;
            double elapsed = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            if (reply.Status != "ok") throw new InvalidOperationException("subshell execute failed");
            if (busy.IsCompleted) throw new InvalidOperationException("the main shell is no longer busy");
            await client.DeleteSubshellAsync(subshell, TimeSpan.FromSeconds(30), ct);
            await client.DisposeAsync();
            return elapsed;
        }

        for (int i = 0; i < 3; i++) await OursOnceAsync();
        for (int round = 0; round < rounds; round++)
        {
            for (int i = 0; i < perRound; i++) ours.Add(await OursOnceAsync());
            var r = await helper.CallAsync("subshell_by_hand", new { connection_file = LocalKernelData.Of(host.Record).ConnectionFile, warmup = round == 0 ? 3 : 0, n = perRound }, TimeSpan.FromMinutes(5), ct);
            reference.AddRange(Common.Doubles(r["seconds"]));
            if (busy.IsCompleted) throw new InvalidOperationException("the main shell is no longer busy");
        }
        Console.WriteLine($"  ours median {Stats.Median(ours) * 1e3:0.00} ms, jupyter_client by hand {Stats.Median(reference) * 1e3:0.00} ms");

        var outcome = new BenchOutcome();
        outcome.Raw["ours_ms"] = Stats.Summary(ours, 1e3);
        outcome.Raw["jupyter_client_by_hand_ms"] = Stats.Summary(reference, 1e3);
        outcome.Rows.Add(new ResultRow
        {
            Benchmark = "connect to a busy kernel until a subshell answers", Metric = "median, fresh connection each", Unit = "ms",
            Ours = Stats.Median(ours) * 1e3, Reference = Stats.Median(reference) * 1e3, ReferenceName = "jupyter_client by hand (control create_subshell_request + subshell execute)",
            TargetKind = TargetKind.RatioAtMost, Target = 1.5,
            Note = $"test kernel (protocol 5.5), main shell in `sleep`; {ours.Count} samples per side in {rounds} alternating rounds; ours includes readiness (kernel_info on control + IOPub) and waits for idle, the reference stops at the execute_reply; p90 ours {Stats.P90(ours) * 1e3:0.00} ms, reference {Stats.P90(reference) * 1e3:0.00} ms",
        });
        return outcome;
    }
}
