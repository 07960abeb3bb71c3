using static JupyterKernels.Tests.Support.ExecutionDrains;
using System.Diagnostics;
using JupyterKernels.Connections;
using JupyterKernels.Providers;
using JupyterKernels.Service;
using JupyterKernels.Tests.Gateway;
using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.Reliability;

/// <summary>
/// Remote: a real jupyter-server frozen with SIGSTOP for 12 s during a 4 s cell. Before, the call
/// ended with KernelDied after ~6 s and the next call in the process threw the cached KernelDied. Now the execution
/// is reported not responding, keeps waiting, finishes with the cell's output after SIGCONT, and the next call works.
/// </summary>
[Collection(JupyterKernels.Tests.SubShells.TimingSensitive.Name)]
public sealed class FrozenServerTests : RemoteServiceTests
{
    public override async Task DisposeAsync()
    {
        if (Server.Pid is { } pid) Process.Start("kill", ["-CONT", pid.ToString()])!.WaitForExit();
        await base.DisposeAsync();
    }

    private static CancellationToken Bound(int seconds) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    [Fact]
    public async Task A_frozen_jupyter_server_is_not_responding_not_dead_and_the_cell_finishes_after_SIGCONT()
    {
        var kernel = await Service.StartKernelAsync(new StartKernelOptions { SpecName = "srv/python3" }, null, Bound(90));
        var ct = Bound(120);
        await DrainAsync(await Service.ExecuteAsync(kernel.Id, "1", new ExecuteOptions(), ct), ct); // connected
        var execution = await Service.ExecuteAsync(kernel.Id, "import time; time.sleep(4); print('finished', flush=True)", new ExecuteOptions(), ct);
        await Task.Delay(300);
        var serverPid = Server.Pid!.Value.ToString();
        Process.Start("kill", ["-STOP", serverPid])!.WaitForExit();
        try
        {
            var frozen = Stopwatch.StartNew();
            while (frozen.Elapsed < TimeSpan.FromSeconds(12))
            {
                Assert.False(execution.Completion.IsCompleted,
                    $"the execution ended while the server was frozen: {execution.Completion.Exception?.InnerException?.Message}");
                await Task.Delay(250);
            }
            Assert.NotNull(execution.NotRespondingSince);
        }
        finally
        {
            Process.Start("kill", ["-CONT", serverPid])!.WaitForExit();
        }
        var (stdout, reply) = await DrainAsync(execution, ct);
        Assert.Equal("ok", reply.Status);
        Assert.Contains("finished", stdout);

        var (again, reply2) = await DrainAsync(await Service.ExecuteAsync(kernel.Id, "print(6*7)", new ExecuteOptions(), ct), ct);
        Assert.Equal("ok", reply2.Status);
        Assert.Contains("42", again);
    }
}
