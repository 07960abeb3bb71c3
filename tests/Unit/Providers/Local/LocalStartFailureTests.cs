using System.Diagnostics;
using JupyterKernels.Providers;
using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.Local;

/// <summary>Bad input at start: each a clear KernelException with a stable id, no hang, no leaked process or file.</summary>
[Trait("Category", "Integration")] // starts processes or servers
public sealed class LocalStartFailureTests : IAsyncLifetime
{
    private readonly LocalKernelFixture _fixture = new();

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _fixture.DisposeAsync();

    [Fact]
    public async Task Unknown_spec_lists_the_names_that_exist()
    {
        var e = await Assert.ThrowsAsync<KernelException>(() => _fixture.StartAsync("no-such-kernel"));
        Assert.Equal(ErrorIds.KernelSpecNotFound, e.ErrorId);
        Assert.Contains("python3", e.Message);
    }

    [Fact]
    public async Task Missing_kernel_binary_is_KernelLaunchFailed()
    {
        _fixture.WriteSpec("ghost", new[] { "/nonexistent/bin/kernel", "-f", "{connection_file}" });
        var e = await Assert.ThrowsAsync<KernelException>(() => _fixture.StartAsync("ghost"));
        Assert.Equal(ErrorIds.KernelLaunchFailed, e.ErrorId);
        Assert.Contains("/nonexistent/bin/kernel", e.Message);
    }

    private string[] KernelFiles() =>
        Directory.Exists(_fixture.Paths.RuntimeDir) ? Directory.GetFiles(_fixture.Paths.RuntimeDir, "kernel-*") : Array.Empty<string>();

    [Fact]
    public async Task Missing_working_directory_or_binary_leaves_no_connection_file_or_log()
    {
        // the connection file holds the key; a start that launched nothing must not leave it.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var e = await Assert.ThrowsAsync<KernelException>(() => _fixture.Provider.StartKernelAsync(new KernelStartRequest
        {
            KernelId = Guid.NewGuid().ToString(), SpecName = "python3", WorkingDirectory = "/nonexistent/dir",
        }, cts.Token));
        Assert.Equal(ErrorIds.KernelLaunchFailed, e.ErrorId);
        _fixture.WriteSpec("ghost2", new[] { "/nonexistent/bin/kernel", "-f", "{connection_file}" });
        await Assert.ThrowsAsync<KernelException>(() => _fixture.StartAsync("ghost2"));
        Assert.Empty(KernelFiles());
    }

    [Fact]
    public async Task Connection_file_names_the_kernelspec_like_jupyter_clients()
    {
        var kernel = await _fixture.StartAsync();
        Assert.Equal("python3", JupyterKernels.Connections.ConnectionFile.Read(kernel.LocalData().ConnectionFile!).KernelName);
    }

    [Fact]
    public async Task Kernel_exiting_during_start_reports_its_stderr_tail_quickly()
    {
        _fixture.WriteSpec("crasher", new[] { RealPython.Path, "-c", "import sys; sys.stderr.write('boom: bad config\\n'); sys.exit(3)", "{connection_file}" });
        var sw = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<KernelException>(() => _fixture.StartAsync("crasher"));
        Assert.Equal(ErrorIds.KernelExitedDuringStart, e.ErrorId);
        Assert.Contains("boom: bad config", e.Message);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), $"took {sw.Elapsed}");
        Assert.Empty(Directory.Exists(_fixture.Paths.RuntimeDir) ? Directory.GetFiles(_fixture.Paths.RuntimeDir, "kernel-*") : Array.Empty<string>());
    }

    [Fact]
    public async Task A_kernel_that_prints_its_connection_file_before_dying_does_not_leak_the_key()
    {
        _fixture.WriteSpec("leaky", new[] { RealPython.Path, "-c", "import sys; print(open(sys.argv[1]).read()); sys.exit(2)", "{connection_file}" });
        var e = await Assert.ThrowsAsync<KernelException>(() => _fixture.StartAsync("leaky"));
        Assert.Equal(ErrorIds.KernelExitedDuringStart, e.ErrorId);
        Assert.Contains("\"key\": \"(hidden)\"", e.Message);
        Assert.Contains("shell_port", e.Message);
    }

    [Fact]
    public async Task Kernel_that_never_answers_times_out_and_is_killed()
    {
        _fixture.WriteSpec("mute", new[] { RealPython.Path, "-c", "import time, sys; open(sys.argv[1] + '.pid', 'w').write(str(__import__('os').getpid())); time.sleep(120)", "{connection_file}" });
        var sw = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<KernelException>(() => _fixture.StartAsync("mute", TimeSpan.FromSeconds(3)));
        Assert.Equal(ErrorIds.KernelStartTimeout, e.ErrorId);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(15), $"took {sw.Elapsed}");
        var pidFile = Directory.GetFiles(_fixture.Paths.RuntimeDir, "*.pid").Single();
        var pid = int.Parse(File.ReadAllText(pidFile));
        await Task.Delay(500);
        Assert.False(JupyterKernels.Processes.ProcessSignals.Exists(pid) && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z"), "the mute kernel process was left running");
    }

    [Fact]
    public async Task The_start_timeout_covers_the_connection_to_a_kernel_that_has_not_bound_its_ports()
    {
        // The connection waits up to 1 s for its handshakes (a kernel binds its ports once its imports are done); a
        // shorter start timeout ends the start there, not after it.
        _fixture.WriteSpec("unbound", new[] { RealPython.Path, "-c", "import time; time.sleep(120)", "{connection_file}" });
        var sw = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<KernelException>(() => _fixture.StartAsync("unbound", TimeSpan.FromMilliseconds(200)));
        Assert.Equal(ErrorIds.KernelStartTimeout, e.ErrorId);
        Assert.Contains("did not become ready within 0.2 s (its ports did not answer)", e.Message);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(15), $"took {sw.Elapsed}");
    }

    [Fact]
    public async Task Wrong_key_in_a_connection_record_drops_messages_and_times_out()
    {
        var kernel = await _fixture.StartAsync();
        var json = kernel.LocalData().ConnectionInfoJson!;
        var key = System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty("key").GetString()!;
        var wrong = kernel.With(kernel.LocalData() with { ConnectionInfoJson = json.Replace(key, "0000-wrong-key") });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var channels = await _fixture.Provider.ConnectAsync(wrong, cts.Token);
        await using var client = new JupyterKernels.Connections.KernelClient(wrong.Id, channels, _fixture.Provider.GetClientOptions(wrong));
        var e = await Assert.ThrowsAsync<KernelException>(() => client.WaitForReadyAsync(TimeSpan.FromSeconds(3), cts.Token));
        Assert.Equal(ErrorIds.KernelStartTimeout, e.ErrorId);
        Assert.DoesNotContain(key, e.Message);
        // The kernel rejects our badly signed requests, so it may not answer at all; what it does send us
        // (IOPub status) is signed with the real key and must be dropped, never delivered.
        Assert.Null(client.Info);
    }
}
