using System.Text.Json.Nodes;
using JupyterKernels.Connections;

namespace JupyterKernels.Bench.Benchmarks;

internal static class Common
{
    public static readonly ExecuteOptions Execute = new() { Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>One execution to completion, draining its outputs (what a caller does). Returns output count.</summary>
    public static async Task<int> RunAsync(KernelClient client, string code, CancellationToken ct, ExecuteOptions? options = null)
    {
        var exec = await client.ExecuteAsync(code, options ?? Execute, ct).ConfigureAwait(false);
        int n = 0;
        await foreach (var _ in exec.Outputs.ReadAllAsync(ct).ConfigureAwait(false)) n++;
        var reply = await exec.Completion.ConfigureAwait(false);
        if (reply.Status != "ok") throw new InvalidOperationException($"execution of '{code}' ended with status {reply.Status}");
        return n;
    }

    /// <summary>
    /// One execution consumed as Invoke-KernelCode consumes it: the calling thread (a PowerShell pipeline thread; call
    /// this on a dedicated thread) blocks for outputs, woken by the connection, then reads Completion.
    /// </summary>
    public static int RunBlocking(KernelClient client, string code, CancellationToken ct, ExecuteOptions? options = null)
    {
        var exec = client.ExecuteAsync(code, options ?? Execute, ct).GetAwaiter().GetResult();
        int n = 0;
        while (exec.WaitForOutputs(PumpInterval, ct) != OutputWaitResult.Completed)
            while (exec.Outputs.TryRead(out _)) n++;
        var reply = exec.Completion.GetAwaiter().GetResult();
        if (reply.Status != "ok") throw new InvalidOperationException($"execution of '{code}' ended with status {reply.Status}");
        return n;
    }

    /// <summary>Invoke-KernelCode's wait slice (KernelCmdletBase.PumpInterval).</summary>
    private static readonly TimeSpan PumpInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>Runs <paramref name="work"/> on a thread of its own, as a PowerShell pipeline thread.</summary>
    public static Task OnDedicatedThread(Action work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    public static List<double> Doubles(JsonNode? node) => node!.AsArray().Select(x => x!.GetValue<double>()).ToList();
}
