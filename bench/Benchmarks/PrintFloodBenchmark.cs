using System.Diagnostics;
using JupyterKernels.Bench.Harness;
using JupyterKernels.Connections;
using JupyterKernels.Providers.Local;

namespace JupyterKernels.Bench.Benchmarks;

/// <summary>
/// Benchmark 3: <c>for i in range(100000): print(i)</c> against the shared kernel; time until all output is received
/// and the execution completed: ours (consumed as Invoke-KernelCode does: a thread of its own blocks for outputs) vs
/// jupyter_client execute_interactive with a counting output_hook. Both count
/// the newlines they received (must be 100000). Interleaved repetitions, one client connected at a time, after an
/// untimed warm-up of ours.
/// </summary>
internal sealed class PrintFloodBenchmark : IBenchmark
{
    public string Name => "printflood";
    public string Description => "100,000 printed lines until completion: ours vs jupyter_client (same kernel), all lines verified";

    /// <summary>Untimed: what the kernel measured of its own print loop (the cell stored it in a variable).</summary>
    private static async Task<double> KernelLoopSecondsAsync(KernelClient client, string variable, CancellationToken ct)
    {
        var exec = await client.ExecuteAsync($"print({variable})", Common.Execute, ct);
        var text = new System.Text.StringBuilder();
        await foreach (var o in exec.Outputs.ReadAllAsync(ct)) if (o is KernelStreamOutput s) text.Append(s.Text);
        await exec.Completion;
        return double.Parse(text.ToString(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task<BenchOutcome> RunAsync(BenchContext ctx, CancellationToken ct)
    {
        int lines = ctx.Quick ? 10_000 : 100_000, reps = ctx.Quick ? 1 : 21;
        // The loop is timed by the kernel too (two perf_counter calls), so that the time outside it — request, the
        // kernel's flush of the one big message, and the client receiving it — can be told apart from the loop's noise.
        const string loopVariable = "_jk_flood_loop";
        string code = $"import time as _jk_time\n_jk_t0 = _jk_time.perf_counter()\nfor i in range({lines}): print(i)\n{loopVariable} = _jk_time.perf_counter() - _jk_t0";
        var kernel = await ctx.GetSharedKernelAsync(ct);
        await using var py = await ctx.StartHelperAsync("roundtrip.py", ct);
        var ours = new List<double>();
        var jc = new List<double>();
        var oursLines = new List<long>();
        var jcLines = new List<long>();
        var oursMsgs = new List<long>();
        var oursLoop = new List<double>();
        var jcLoop = new List<double>();
        var jcMsgs = new List<long>();
        // Warm-up, untimed: .NET promotes hot methods to optimized code in the background (after 30 calls), and on
        // 2 cores that compilation (~100 ms of CPU per flood, measured) slows the kernel's own printing. The reps
        // measure the steady state a long-lived PowerShell session runs in. (Python has no such warm-up cost.)
        {
            await using var warm = await ctx.ConnectAsync(kernel, ct);
            for (int i = 0; i < (ctx.Quick ? 5 : 100); i++) await Common.RunAsync(warm, "1", ct);
            await Common.OnDedicatedThread(() =>
            {
                for (int i = 0; i < (ctx.Quick ? 1 : 3); i++) Common.RunBlocking(warm, code, ct);
            });
            await Task.Delay(1000, ct);
        }
        for (int rep = 0; rep < reps; rep++)
        {
            for (int k = 0; k < 2; k++)
            {
                // ipykernel flushes stdout 0.2 s after the first write of a burst, by a timer that outlives the
                // execution: a flood started sooner after the previous one gets that stale flush in the middle
                // (an extra message, extra work for the kernel). Let it fire first, whoever runs next.
                await Task.Delay(400, ct);
                if ((rep + k) % 2 == 0)
                {
                    await using var client = await ctx.ConnectAsync(kernel, ct);
                    await Common.RunAsync(client, "pass", ct);
                    // Consumed as Invoke-KernelCode consumes it: a thread of its own blocks for the outputs.
                    long newlines = 0, msgs = 0;
                    double seconds = 0;
                    await Common.OnDedicatedThread(() =>
                    {
                        long t0 = Stopwatch.GetTimestamp();
                        var exec = client.ExecuteAsync(code, Common.Execute with { Timeout = TimeSpan.FromMinutes(5) }, ct).GetAwaiter().GetResult();
                        while (exec.WaitForOutputs(TimeSpan.FromMilliseconds(250), ct) != OutputWaitResult.Completed)
                        {
                            while (exec.Outputs.TryRead(out var o))
                            {
                                if (o is KernelStreamOutput s)
                                {
                                    msgs++;
                                    newlines += s.Text.AsSpan().Count('\n');
                                }
                            }
                        }
                        var reply = exec.Completion.GetAwaiter().GetResult();
                        seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
                        if (reply.Status != "ok") throw new InvalidOperationException($"print flood ended with {reply.Status}");
                    });
                    ours.Add(seconds);
                    oursLoop.Add(await KernelLoopSecondsAsync(client, loopVariable, ct));
                    oursLines.Add(newlines);
                    oursMsgs.Add(msgs);
                }
                else
                {
                    var r = await py.CallAsync("flood_jc", new { connection_file = LocalKernelData.Of(kernel).ConnectionFile, code, timeout = 300, loop_variable = loopVariable }, TimeSpan.FromMinutes(6), ct);
                    jc.Add(r["seconds"]!.GetValue<double>());
                    jcLines.Add(r["newlines"]!.GetValue<long>());
                    jcMsgs.Add(r["stream_msgs"]!.GetValue<long>());
                    jcLoop.Add(r["kernel_loop"]!.GetValue<double>());
                }
            }
            Console.WriteLine($"  rep {rep + 1}/{reps}: ours {ours[^1]:0.000} s ({oursLines[^1]} lines), jupyter_client {jc[^1]:0.000} s ({jcLines[^1]} lines)");
        }
        var outcome = new BenchOutcome();
        outcome.Raw["lines"] = lines;
        outcome.Raw["ours_seconds"] = ours;
        outcome.Raw["jupyter_client_seconds"] = jc;
        outcome.Raw["ours_lines_received"] = oursLines;
        outcome.Raw["jupyter_client_lines_received"] = jcLines;
        outcome.Raw["ours_stream_messages"] = oursMsgs;
        outcome.Raw["jupyter_client_stream_messages"] = jcMsgs;
        bool allOurs = oursLines.All(n => n == lines), allJc = jcLines.All(n => n == lines);
        outcome.Rows.Add(new ResultRow
        {
            Benchmark = $"{lines:#,0} printed lines", Metric = "median time to completion", Unit = "s",
            Ours = Stats.Median(ours), Reference = Stats.Median(jc), ReferenceName = "execute_interactive",
            TargetKind = TargetKind.RatioAtMost, Target = 1.0,
            Note = $"ours = the Invoke-KernelCode path (a thread of its own blocks for outputs); {reps} interleaved reps each; " +
                   $"median of the per-rep ratios {Stats.Median(ours.Zip(jc, (a, b) => a / b).ToList()):0.00}x; all {lines} lines received: ours {(allOurs ? "yes" : "NO")} ({string.Join(",", oursLines)}), " +
                   $"jupyter_client {(allJc ? "yes" : "NO")} ({string.Join(",", jcLines)}); stream messages ours {string.Join(",", oursMsgs)}, jupyter_client {string.Join(",", jcMsgs)}",
        });
        var oursOutside = ours.Zip(oursLoop, (total, loop) => total - loop).ToList();
        var jcOutside = jc.Zip(jcLoop, (total, loop) => total - loop).ToList();
        outcome.Raw["ours_kernel_loop_seconds"] = oursLoop;
        outcome.Raw["jupyter_client_kernel_loop_seconds"] = jcLoop;
        outcome.Rows.Add(new ResultRow
        {
            Benchmark = $"{lines:#,0} printed lines", Metric = "median time outside the kernel's loop", Unit = "ms",
            Ours = Stats.Median(oursOutside) * 1e3, Reference = Stats.Median(jcOutside) * 1e3, ReferenceName = "execute_interactive",
            Note = $"informational: time to completion minus the kernel's own timing of its print loop (median {Stats.Median(oursLoop) * 1e3:0.0} ms in our reps, " +
                   $"{Stats.Median(jcLoop) * 1e3:0.0} ms in jupyter_client's): the request, the kernel's flush of the one big stream message, and the client " +
                   "receiving, checking and decoding it — the part a client can change, without the loop's ±10% noise",
        });
        outcome.Rows.Add(new ResultRow
        {
            Benchmark = $"{lines:#,0} printed lines", Metric = "lines received (min over reps)", Unit = "lines",
            Ours = oursLines.Min(), Reference = jcLines.Min(), ReferenceName = "execute_interactive",
            MetOverride = allOurs && allJc, TargetTextOverride = $"both = {lines:#,0}",
        });
        return outcome;
    }
}
