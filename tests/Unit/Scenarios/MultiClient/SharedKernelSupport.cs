using System.Text;
using JupyterKernels.Connections;
using JupyterKernels.Service;

namespace JupyterKernels.Tests.MultiClient;

/// <summary>What one client saw of one execution: everything it printed, its errors, and how it ended.</summary>
internal sealed record ClientRun(string Stdout, IReadOnlyList<string> Errors, string? Status, KernelException? Failure, TimeSpan Took)
{
    public override string ToString() => $"status={Status ?? "-"} failure={Failure?.ErrorId}:{Failure?.Message} stdout={Stdout.Trim()} errors={string.Join(",", Errors)} took={Took.TotalSeconds:0.0}s";
}

internal static class SharedKernelSupport
{
    public static CancellationToken Bound(int seconds = 120) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    /// <summary>Runs code through a service (one "PowerShell process") and collects what the caller would see.</summary>
    public static async Task<ClientRun> RunAsync(IKernelService service, string kernelId, string code, TimeSpan? timeout = null, int boundSeconds = 120)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var ct = Bound(boundSeconds);
        var stdout = new StringBuilder();
        var errors = new List<string>();
        try
        {
            var execution = await service.ExecuteAsync(kernelId, code, new ExecuteOptions { Timeout = timeout }, ct);
            await foreach (var o in execution.Outputs.ReadAllAsync(ct))
            {
                if (o is KernelStreamOutput s) stdout.Append(s.Text);
                else if (o is KernelError e) errors.Add(e.Ename);
            }
            var reply = await execution.Completion.WaitAsync(ct);
            return new ClientRun(stdout.ToString(), errors, reply.Status, null, clock.Elapsed);
        }
        catch (KernelException e)
        {
            return new ClientRun(stdout.ToString(), errors, null, e, clock.Elapsed);
        }
    }
}
