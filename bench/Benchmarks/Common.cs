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

    public static List<double> Doubles(JsonNode? node) => node!.AsArray().Select(x => x!.GetValue<double>()).ToList();
}
