using JupyterKernels.Connections;

namespace JupyterKernels.Tests.Support;

/// <summary>Everything an execution produced, collected with a bound on time.</summary>
public sealed record ExecutionResult(IReadOnlyList<KernelOutput> Outputs, KernelExecuteReply Reply)
{
    public string Stdout => string.Concat(Outputs.OfType<KernelStreamOutput>().Where(s => s.Name == "stdout").Select(s => s.Text));
    public string Stderr => string.Concat(Outputs.OfType<KernelStreamOutput>().Where(s => s.Name == "stderr").Select(s => s.Text));
    public IEnumerable<KernelError> Errors => Outputs.OfType<KernelError>();
    public string? ResultText => Outputs.OfType<KernelExecuteResult>().Select(r => r.Data.TryGetValue("text/plain", out var t) ? t as string : null).FirstOrDefault();

    internal static async Task<ExecutionResult> RunAsync(KernelClient client, string code, ExecuteOptions? options = null,
        Func<KernelInputRequest, string>? answer = null, TimeSpan? bound = null)
    {
        using var cts = new CancellationTokenSource(bound ?? TimeSpan.FromSeconds(60));
        var execution = await client.ExecuteAsync(code, options ?? new ExecuteOptions(), cts.Token);
        var outputs = new List<KernelOutput>();
        await foreach (var output in execution.Outputs.ReadAllAsync(cts.Token))
        {
            if (output is KernelInputRequest input && answer is not null)
                await input.RespondAsync(answer(input), cts.Token);
            outputs.Add(output);
        }
        var reply = await execution.Completion.WaitAsync(cts.Token);
        return new ExecutionResult(outputs, reply);
    }
}
