using static JupyterKernels.Tests.Support.ExecutionDrains;
using System.Diagnostics;
using JupyterKernels.Connections;
using JupyterKernels.Sync;
using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.Reliability;

/// <summary>
/// A start killed while it rewrites the connection file of a kernel that is already ready (ipykernel drops
/// kernel_name from the file; the start puts it back): the process (KernelCli, standing for pwsh) is held inside the
/// rewrite window by the test hook JUPYTERKERNELS_TEST_REWRITE_PAUSE_MS and killed there. The connection file stays
/// complete (the new contents wait in a temporary file until a rename), so the next sync completes the record of the
/// healthy kernel instead of killing it as "never answered", and the temporary file goes with the kernel's files.
/// </summary>
[Trait("Category", "Integration")]
public sealed class AtomicRewriteKillTests : IAsyncLifetime
{
    private readonly ServiceFixture _fixture = new();

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _fixture.DisposeAsync();

    [Fact]
    public async Task A_start_killed_inside_the_connection_file_rewrite_leaves_the_file_whole_and_the_kernel_alive()
    {
        using var ct = new CancellationTokenSource(TimeSpan.FromSeconds(180));
        var runtime = _fixture.Environment["JUPYTER_RUNTIME_DIR"];
        var info = new ProcessStartInfo(SiblingTool.DotnetHost) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(SiblingTool.DllPath("KernelCli"));
        info.ArgumentList.Add("start");
        info.ArgumentList.Add("python3");
        foreach (var (k, v) in _fixture.Environment) info.Environment[k] = v;
        info.Environment[RewriteWindow.PauseVariable] = "120000";
        using var cli = Process.Start(info)!;
        var temp = await RewriteWindow.WaitForHeldRewriteAsync(runtime, cli, ct.Token);
        if (temp is null)
        {
            if (!cli.HasExited) cli.Kill();
            Assert.Fail($"the start ended without rewriting its connection file: {await cli.StandardError.ReadToEndAsync()}");
        }
        cli.Kill();
        await cli.WaitForExitAsync(ct.Token);

        var file = RewriteWindow.TargetOf(temp);
        var onDisk = ConnectionFile.Read(file); // whole: the rename never happened
        Assert.Equal(onDisk.Key, ConnectionFile.Read(temp).Key);

        await using var service = _fixture.NewService();
        var results = new List<SyncResult>();
        await foreach (var r in service.SynchronizeAsync(new SyncOptions(), null, null, ct.Token)) results.Add(r);
        var completed = Assert.Single(results);
        Assert.Equal(SyncAction.Adopted, completed.Action); // an interrupted start the kernel of which answers
        Assert.Contains("record completed", completed.Reason);
        var (stdout, reply) = await DrainAsync(await service.ExecuteAsync(completed.KernelId, "print(6*7)", new ExecuteOptions(), ct.Token), ct.Token);
        Assert.Equal("ok", reply.Status);
        Assert.Contains("42", stdout);

        await service.StopKernelAsync(completed.KernelId, force: true, ct.Token);
        Assert.Empty(Directory.GetFiles(runtime, ".kernel-*.tmp"));
    }
}
