using System.Diagnostics;
using JupyterKernels.Connections;
using JupyterKernels.Providers;
using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.Reliability;

/// <summary>
/// A kernel killed with SIGKILL during start, execute and shutdown, against the real Debian ipykernel: every call
/// ends within 5 s (with a KernelException of a stable ErrorId where the operation failed), and nothing leaks: the
/// process is gone, the runtime dir holds no connection file or log of it, and this process has no TCP socket left
/// to the kernel's ports once the client is disposed.
/// </summary>
[Trait("Category", "Integration")] // starts processes or servers
[Collection(JupyterKernels.Tests.SubShells.TimingSensitive.Name)]
public sealed class KernelKillTests : IAsyncLifetime
{
    private static readonly TimeSpan FiveSeconds = TimeSpan.FromSeconds(5);
    private readonly LocalKernelFixture _fixture = new();

    private string RuntimeDir => _fixture.Root.Combine("runtime");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _fixture.DisposeAsync();

    /// <summary>A spec whose wrapper shell records its pid (which stays the kernel's pid across exec) and a copy of
    /// the connection file, waits <paramref name="delay"/> seconds, then execs ipykernel.</summary>
    private (string Spec, string PidFile, string InfoCopy) WriteSlowStartSpec(string delay)
    {
        var pidFile = _fixture.Root.Combine("kernel.pid");
        var infoCopy = _fixture.Root.Combine("connection-copy.json");
        _fixture.WriteSpec("slow-start", [
            "/bin/sh", "-c",
            $"cp \"$1\" '{infoCopy}'; echo $$ > '{pidFile}'.tmp; mv '{pidFile}'.tmp '{pidFile}'; sleep {delay}; exec {RealPython.Path} -m ipykernel_launcher -f \"$1\"",
            "slow-start", "{connection_file}",
        ]);
        return ("slow-start", pidFile, infoCopy);
    }

    private static async Task<int> ReadPidAsync(string pidFile, Task start)
    {
        var sw = Stopwatch.StartNew();
        while (!File.Exists(pidFile))
        {
            if (start.IsCompleted) await start; // surfaces a launch failure instead of waiting
            if (sw.Elapsed > TimeSpan.FromSeconds(20)) throw new TimeoutException("the wrapper never wrote its pid");
            await Task.Delay(20);
        }
        return int.Parse(File.ReadAllText(pidFile).Trim());
    }

    private void AssertRuntimeDirClean()
    {
        var left = Directory.Exists(RuntimeDir) ? Directory.GetFiles(RuntimeDir, "kernel-*") : [];
        Assert.True(left.Length == 0, "left in the runtime dir: " + string.Join(", ", left.Select(Path.GetFileName)));
    }

    private Task<KernelRecord> StartAsync(string spec) => _fixture.Provider.StartKernelAsync(new KernelStartRequest
    {
        KernelId = Guid.NewGuid().ToString(),
        SpecName = spec,
        StartTimeout = TimeSpan.FromSeconds(60),
    }, new CancellationTokenSource(TimeSpan.FromSeconds(90)).Token);

    [Fact]
    public async Task Killed_before_the_kernel_program_runs_start_fails_with_KernelExitedDuringStart_within_5s_and_leaks_nothing()
    {
        var (spec, pidFile, infoCopy) = WriteSlowStartSpec("30");
        var start = StartAsync(spec);
        var pid = await ReadPidAsync(pidFile, start);
        var ports = ConnectionFile.Read(infoCopy).Ports;

        await KillDuringStartAndAssertCleanAsync(start, pid, ports);
    }

    [Fact]
    public async Task Killed_while_ipykernel_is_starting_start_fails_with_KernelExitedDuringStart_within_5s_and_leaks_nothing()
    {
        var (spec, pidFile, infoCopy) = WriteSlowStartSpec("0.2");
        var start = StartAsync(spec);
        var pid = await ReadPidAsync(pidFile, start);
        var ports = ConnectionFile.Read(infoCopy).Ports;
        // Wait for the exec into python; ipykernel needs far longer than this poll to import and bind.
        var wait = Stopwatch.StartNew();
        while (!LeakProbe.CommandLine(pid).Contains("ipykernel_launcher") && wait.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(10);
        Assert.Contains("ipykernel_launcher", LeakProbe.CommandLine(pid));
        Assert.False(start.IsCompleted, "the kernel became ready before it could be killed");

        await KillDuringStartAndAssertCleanAsync(start, pid, ports);
    }

    /// <summary>Kills the starting kernel, then checks the start fails fast with KernelExitedDuringStart and leaves no
    /// process, runtime file or socket behind.</summary>
    private async Task KillDuringStartAndAssertCleanAsync(Task<KernelRecord> start, int pid, IReadOnlyList<int> ports)
    {
        var sw = Stopwatch.StartNew();
        LeakProbe.KillHard(pid);
        var error = await Assert.ThrowsAsync<KernelException>(() => start.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(sw.Elapsed < FiveSeconds, $"start failed {sw.Elapsed} after the kill");
        Assert.Equal(ErrorIds.KernelExitedDuringStart, error.ErrorId);

        Assert.True(await LeakProbe.WaitGoneAsync(pid, FiveSeconds), $"process {pid} still exists");
        AssertRuntimeDirClean();
        Assert.Equal(0, await LeakProbe.WaitForNoOwnSocketsAsync(ports, TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public async Task Killed_during_execute_the_wait_ends_with_KernelDied_then_dispose_and_shutdown_leave_nothing()
    {
        var record = await _fixture.StartAsync();
        var ports = ConnectionFile.Parse(record.LocalData().ConnectionInfoJson!).Ports;
        var client = await _fixture.ConnectAsync(record);
        Assert.True(LeakProbe.OwnTcpSocketsTo(ports) >= 4, "the probe should see the client's sockets");
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var execution = await client.ExecuteAsync("import time; time.sleep(60)", new ExecuteOptions(), cts.Token);
            await Task.Delay(300);
            var sw = Stopwatch.StartNew();
            LeakProbe.KillHard(record.LocalData().Pid!.Value);
            var error = await Assert.ThrowsAsync<KernelException>(() => execution.Completion.WaitAsync(cts.Token));
            Assert.Equal(ErrorIds.KernelDied, error.ErrorId);
            Assert.True(sw.Elapsed < FiveSeconds, $"took {sw.Elapsed}");
            // The client is terminal: a new request fails at once with the same error instead of waiting.
            var again = await Assert.ThrowsAsync<KernelException>(() => client.ExecuteAsync("1", new ExecuteOptions(), cts.Token));
            Assert.Equal(ErrorIds.KernelDied, again.ErrorId);
        }
        finally
        {
            await client.DisposeAsync();
        }
        Assert.Equal(0, await LeakProbe.WaitForNoOwnSocketsAsync(ports, TimeSpan.FromSeconds(2)));
        Assert.True(await LeakProbe.WaitGoneAsync(record.LocalData().Pid!.Value, FiveSeconds));

        var stop = Stopwatch.StartNew();
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
            await _fixture.Provider.ShutdownAsync(record, now: false, cts.Token);
        Assert.True(stop.Elapsed < FiveSeconds, $"shutdown of a dead kernel took {stop.Elapsed}");
        AssertRuntimeDirClean();
    }

    [Fact]
    public async Task Killed_during_shutdown_the_shutdown_ends_within_5s_and_a_pending_execute_gets_KernelDied()
    {
        var record = await _fixture.StartAsync();
        var pid = record.LocalData().Pid!.Value;
        var ports = ConnectionFile.Parse(record.LocalData().ConnectionInfoJson!).Ports;
        var client = await _fixture.ConnectAsync(record);
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            // A kernel that cannot exit by itself: the main thread is busy and SIGTERM is ignored, so ShutdownAsync
            // sits in its waits (shutdown_request, then SIGTERM) until SIGKILL, 3 s in with the fixture's options.
            var execution = await client.ExecuteAsync("import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint('armed', flush=True)\ntime.sleep(60)",
                new ExecuteOptions(), cts.Token);
            await foreach (var output in execution.Outputs.ReadAllAsync(cts.Token))
                if (output is KernelStreamOutput { Text: var text } && text.Contains("armed")) break;

            var shutdown = _fixture.Provider.ShutdownAsync(record, now: false, cts.Token);
            await Task.Delay(700);
            Assert.False(shutdown.IsCompleted, "shutdown finished before the kill: the test did not kill during the wait");
            Assert.False(LeakProbe.IsGone(pid));

            var sw = Stopwatch.StartNew();
            LeakProbe.KillHard(pid);
            // The postcondition of shutdown (the kernel is gone) holds, so it completes without an error.
            await shutdown.WaitAsync(FiveSeconds);
            Assert.True(sw.Elapsed < FiveSeconds, $"shutdown ended {sw.Elapsed} after the kill");
            var error = await Assert.ThrowsAsync<KernelException>(() => execution.Completion.WaitAsync(FiveSeconds));
            Assert.Equal(ErrorIds.KernelDied, error.ErrorId);
            Assert.True(sw.Elapsed < FiveSeconds, $"the execution ended {sw.Elapsed} after the kill");
        }
        finally
        {
            await client.DisposeAsync();
        }
        Assert.True(LeakProbe.IsGone(pid));
        AssertRuntimeDirClean();
        Assert.Equal(0, await LeakProbe.WaitForNoOwnSocketsAsync(ports, TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public async Task Cancelled_start_kills_the_kernel_and_leaks_nothing()
    {
        var (spec, pidFile, infoCopy) = WriteSlowStartSpec("0");
        using var cts = new CancellationTokenSource();
        var start = _fixture.Provider.StartKernelAsync(new KernelStartRequest
        {
            KernelId = Guid.NewGuid().ToString(),
            SpecName = spec,
            StartTimeout = TimeSpan.FromSeconds(60),
        }, cts.Token);
        var pid = await ReadPidAsync(pidFile, start);
        var ports = ConnectionFile.Read(infoCopy).Ports;
        await Task.Delay(200);
        var sw = Stopwatch.StartNew();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => start.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(sw.Elapsed < FiveSeconds, $"cancel took {sw.Elapsed}");
        Assert.True(await LeakProbe.WaitGoneAsync(pid, FiveSeconds), $"process {pid} still exists after a cancelled start");
        AssertRuntimeDirClean();
        Assert.Equal(0, await LeakProbe.WaitForNoOwnSocketsAsync(ports, TimeSpan.FromSeconds(2)));
    }
}
