using System.Diagnostics;
using JupyterKernels.Connections;
using JupyterKernels.Service;
using JupyterKernels.Sync;
using JupyterKernels.Store;
using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.Local;

/// <summary>
/// A kernel started by jupyter_client (a Python KernelManager, connection file in the runtime dir)
/// is adopted by Sync -Adopt and by Connect-Kernel's service call, driven, and stopped by shutdown_request alone;
/// afterwards no kernel process and no connection file is left, and the KernelManager's process sees its kernel gone.
/// </summary>
[Trait("Category", "Integration")] // starts processes
public sealed class AdoptionTests : IAsyncLifetime
{
    // Starts a kernel the way jupyter console does, prints its connection file and pid, and waits (bounded) until
    // someone else has shut it down. It does not clean up: the connection file must be removed by our Stop-Kernel.
    private const string ForeignClient = """
        import os, sys, time, uuid
        from jupyter_client import KernelManager
        from jupyter_core.paths import jupyter_runtime_dir
        # As `jupyter kernel` (KernelApp) does: the connection file in the runtime dir, named by a fresh uuid.
        os.makedirs(jupyter_runtime_dir(), exist_ok=True)
        km = KernelManager(kernel_name='python3', connection_file=os.path.join(jupyter_runtime_dir(), f'kernel-{uuid.uuid4()}.json'))
        km.start_kernel()
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        kc.stop_channels()
        print(km.connection_file, flush=True)
        print(km.provisioner.pid, flush=True)
        deadline = time.time() + 150
        while km.is_alive() and time.time() < deadline:
            time.sleep(0.2)
        if km.is_alive():
            km.shutdown_kernel(now=True)
            print('still-alive', flush=True)
        else:
            print('kernel-exited', flush=True)
        """;

    private readonly ServiceFixture _fixture = new();
    private Process? _foreign;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_foreign is { HasExited: false }) { _foreign.Kill(entireProcessTree: true); await _foreign.WaitForExitAsync(); }
        _foreign?.Dispose();
        await _fixture.DisposeAsync();
    }

    private static CancellationToken Bound(int seconds = 90) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    private async Task<(string File, int Pid)> StartForeignKernelAsync()
    {
        var info = new ProcessStartInfo(RealPython.Path) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardInput = true, RedirectStandardError = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(ForeignClient);
        foreach (var (k, v) in _fixture.Environment) info.Environment[k] = v;
        _foreign = Process.Start(info)!;
        var file = await _foreign.StandardOutput.ReadLineAsync(Bound(60)) ?? throw new InvalidOperationException(await _foreign.StandardError.ReadToEndAsync());
        var pid = int.Parse(await _foreign.StandardOutput.ReadLineAsync(Bound(10)) ?? "0");
        return (file, pid);
    }

    [Fact]
    public async Task Kernel_started_by_a_jupyter_client_KernelManager_is_adopted_driven_and_stopped_leaving_nothing()
    {
        var (file, pid) = await StartForeignKernelAsync();
        Assert.StartsWith(_fixture.Environment["JUPYTER_RUNTIME_DIR"], file);
        await using var service = _fixture.NewService();

        // Sync -Adopt finds it in the runtime dir.
        var results = new List<SyncResult>();
        await foreach (var r in service.SynchronizeAsync(new SyncOptions { Adopt = true }, null, null, Bound())) results.Add(r);
        var adopted = Assert.Single(results);
        Assert.Equal(SyncAction.Adopted, adopted.Action);
        var expectedId = Path.GetFileNameWithoutExtension(file)["kernel-".Length..];
        Assert.Equal(expectedId, adopted.KernelId);
        var kernel = await service.GetKernelAsync(expectedId, Bound());
        Assert.True(kernel.Adopted);
        Assert.Null(kernel.Pid);
        Assert.Equal("local", kernel.Provider);

        // A second sync adopts nothing more; Connect-Kernel on the same file returns the recorded kernel.
        results.Clear();
        await foreach (var r in service.SynchronizeAsync(new SyncOptions { Adopt = true }, null, null, Bound())) results.Add(r);
        Assert.Equal(SyncAction.Kept, Assert.Single(results).Action);
        Assert.Equal(expectedId, (await service.ConnectKernelAsync(file, Bound())).Id);

        // Driven from another "process" too.
        await using (var other = _fixture.NewService())
        {
            var execution = await other.ExecuteAsync(expectedId, "print(6*7)", new ExecuteOptions(), Bound());
            var text = new System.Text.StringBuilder();
            await foreach (var o in execution.Outputs.ReadAllAsync(Bound())) if (o is KernelStreamOutput s) text.Append(s.Text);
            Assert.Equal("ok", (await execution.Completion).Status);
            Assert.Equal("42\n", text.ToString());
        }

        var restart = await Assert.ThrowsAsync<KernelException>(() => service.RestartKernelAsync(expectedId, force: false, Bound()));
        Assert.Equal(ErrorIds.KernelRestartNotSupported, restart.ErrorId);

        await service.StopKernelAsync(expectedId, force: false, Bound());
        Assert.Empty(await service.GetKernelsAsync(Bound()));
        Assert.False(File.Exists(file), "the connection file is left behind");
        // The KernelManager's process sees its kernel exit (it was not killed by us: it got shutdown_request).
        Assert.Equal("kernel-exited", await _foreign!.StandardOutput.ReadLineAsync(Bound(30)));
        await _foreign.WaitForExitAsync(Bound(30));
        Assert.False(JupyterKernels.Processes.ProcessSignals.Exists(pid) && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z"), $"kernel process {pid} is left");
    }

    [Fact]
    public async Task Connect_kernel_refuses_a_stale_connection_file_whose_kernel_is_gone()
    {
        var runtime = _fixture.Environment["JUPYTER_RUNTIME_DIR"];
        Directory.CreateDirectory(runtime);
        var stale = Path.Combine(runtime, $"kernel-{Guid.NewGuid()}.json");
        await ConnectionFile.WriteAsync(stale, ConnectionInfo.CreateLocal("python3"));
        await using var service = _fixture.NewService();
        var e = await Assert.ThrowsAsync<KernelException>(() => service.ConnectKernelAsync(stale, Bound()));
        Assert.Equal(ErrorIds.KernelNotResponding, e.ErrorId);
        var results = new List<SyncResult>();
        await foreach (var r in service.SynchronizeAsync(new SyncOptions { Adopt = true }, null, null, Bound())) results.Add(r);
        Assert.Empty(results);
        Assert.Empty(await service.GetKernelsAsync(Bound()));
    }
}
