using System.Collections.Concurrent;
using System.Diagnostics;
using JupyterKernels.Connections;
using JupyterKernels.Service;
using JupyterKernels.Tests.Support;
using Xunit.Abstractions;

namespace JupyterKernels.Tests.Reliability;

/// <summary>
/// Request/reply correlation under volume on the real ipykernel: every execution prints a unique token, and its
/// outputs must be exactly that token (no output lost, duplicated, or delivered to another execution) with an "ok"
/// reply carrying its own execution count.
/// </summary>
[Trait("Category", "Integration")] // starts processes or servers
[Collection(JupyterKernels.Tests.SubShells.TimingSensitive.Name)]
public sealed class ExecuteStressTests(ITestOutputHelper output)
{
    private static async Task<(string Stdout, int Others, KernelExecuteReply Reply)> RunAsync(KernelExecution execution, CancellationToken ct)
    {
        var stdout = new System.Text.StringBuilder();
        int others = 0;
        await foreach (var o in execution.Outputs.ReadAllAsync(ct))
        {
            if (o is KernelStreamOutput { Name: "stdout" } s) stdout.Append(s.Text);
            else others++;
        }
        return (stdout.ToString(), others, await execution.Completion.WaitAsync(ct));
    }

    [Fact]
    public async Task A_thousand_sequential_executes_on_one_ipykernel_each_get_exactly_their_own_output()
    {
        await using var fixture = new LocalKernelFixture();
        var record = await fixture.StartAsync();
        await using var client = await fixture.ConnectAsync(record);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var counts = new HashSet<int>();
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < 1000; i++)
        {
            var token = $"seq-{i:D4}-{Guid.NewGuid():N}";
            var execution = await client.ExecuteAsync($"print('{token}')", new ExecuteOptions { Timeout = TimeSpan.FromSeconds(30) }, cts.Token);
            var (stdout, others, reply) = await RunAsync(execution, cts.Token);
            Assert.Equal(token + "\n", stdout);
            Assert.Equal(0, others);
            Assert.Equal("ok", reply.Status);
            Assert.True(counts.Add(reply.ExecutionCount ?? -1), $"execution count {reply.ExecutionCount} seen twice");
        }
        output.WriteLine($"1000 sequential executes in {sw.Elapsed.TotalSeconds:0.0} s");
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(60), $"took {sw.Elapsed}");
    }

    [Fact]
    public async Task Two_hundred_concurrent_executes_over_four_kernels_through_the_service_never_cross_outputs()
    {
        await using var fixture = new ServiceFixture();
        await using var service = fixture.NewService();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        var kernels = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ =>
            service.StartKernelAsync(new StartKernelOptions { SpecName = "python3" }, null, cts.Token)));
        try
        {
            var sw = Stopwatch.StartNew();
            var failures = new ConcurrentQueue<string>();
            var countsByKernel = kernels.ToDictionary(k => k.Id, _ => new ConcurrentDictionary<int, string>());
            await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(async () =>
            {
                var kernel = kernels[i % 4];
                var token = $"conc-{i:D3}-{Guid.NewGuid():N}";
                // A short random sleep interleaves the kernels' IOPub streams.
                var code = $"import time; time.sleep({(i * 7) % 5} / 1000); print('{token}')";
                var execution = await service.ExecuteAsync(kernel.Id, code, new ExecuteOptions { Timeout = TimeSpan.FromSeconds(120) }, cts.Token);
                var (stdout, others, reply) = await RunAsync(execution, cts.Token);
                if (stdout != token + "\n") failures.Enqueue($"#{i} on {kernel.Id}: stdout '{stdout.Trim()}', expected '{token}'");
                if (others != 0) failures.Enqueue($"#{i}: {others} unexpected outputs");
                if (reply.Status != "ok") failures.Enqueue($"#{i}: reply {reply.Status}");
                if (reply.ExecutionCount is { } n && !countsByKernel[kernel.Id].TryAdd(n, token))
                    failures.Enqueue($"#{i}: execution count {n} on {kernel.Id} also replied to {countsByKernel[kernel.Id][n]}");
            }, cts.Token)));
            output.WriteLine($"200 concurrent executes over 4 kernels in {sw.Elapsed.TotalSeconds:0.0} s");
            Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(20)));
            Assert.All(countsByKernel.Values, c => Assert.Equal(50, c.Count));
        }
        finally
        {
            foreach (var k in kernels)
            {
                try { await service.StopKernelAsync(k.Id, force: true, CancellationToken.None); } catch (KernelException) { }
            }
        }
    }
}
