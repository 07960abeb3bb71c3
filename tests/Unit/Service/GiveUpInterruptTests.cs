using JupyterKernels.Connections;
using JupyterKernels.Service;
using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.Service;

/// <summary>
/// Giving up on a cell (-Timeout, Ctrl+C) interrupts the kernel by the route its provider describes, carried out by the
/// connection itself: for a remote kernel the server's interrupt (REST), for a local one a signal. The error says so,
/// and the kernel is free for the next cell at once.
/// </summary>
[Trait("Category", "Integration")] // starts processes or servers
[Collection(JupyterKernels.Tests.SubShells.TimingSensitive.Name)]
public sealed class GiveUpInterruptTests : RemoteServiceTests
{
    private static CancellationToken Bound(int seconds = 90) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    [Theory]
    [InlineData("srv/python3", false)]
    [InlineData("srv/python3", true)]
    [InlineData("python3", false)]
    public async Task A_cell_given_up_on_is_interrupted_and_the_next_one_runs_at_once(string spec, bool byCancel)
    {
        var kernel = await Service.StartKernelAsync(new StartKernelOptions { SpecName = spec }, null, Bound());
        try
        {
            var ct = Bound(60);
            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var options = byCancel ? new ExecuteOptions() : new ExecuteOptions { Timeout = TimeSpan.FromSeconds(3) };
            var execution = await Service.ExecuteAsync(kernel.Id, "import time; print('started', flush=True); time.sleep(60)", options, cancel.Token);
            await foreach (var o in execution.Outputs.ReadAllAsync(ct))
                if (byCancel && o is KernelStreamOutput) cancel.CancelAfter(500);
            var error = await Assert.ThrowsAsync<KernelException>(() => execution.Completion.WaitAsync(ct));
            Assert.Equal(byCancel ? ErrorIds.ExecutionCancelled : ErrorIds.ExecutionTimeout, error.ErrorId);
            Assert.EndsWith("the kernel was interrupted.", error.Message);

            var sw = System.Diagnostics.Stopwatch.StartNew();
            var next = await Service.ExecuteAsync(kernel.Id, "print(6*7)", new ExecuteOptions(), ct);
            var text = new System.Text.StringBuilder();
            await foreach (var o in next.Outputs.ReadAllAsync(ct)) if (o is KernelStreamOutput s) text.Append(s.Text);
            Assert.Equal("ok", (await next.Completion.WaitAsync(ct)).Status);
            Assert.Equal("42\n", text.ToString());
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(30), $"the next cell waited {sw.Elapsed} (the sleep was not interrupted)");
        }
        finally
        {
            await Service.StopKernelAsync(kernel.Id, force: true, Bound());
        }
    }
}
