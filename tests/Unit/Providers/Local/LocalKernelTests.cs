using System.Diagnostics;
using JupyterKernels.Connections;
using JupyterKernels.Providers;
using JupyterKernels.Providers.Local;
using JupyterKernels.Tests.Support;
using JupyterKernels.Processes;

namespace JupyterKernels.Tests.Local;

/// <summary>The local stack end to end against the real Debian ipykernel: launch, readiness, execution, stdin,
/// errors, interrupt, restart, shutdown, and the failures a user meets.</summary>
[Trait("Category", "Integration")] // starts processes or servers
public sealed class LocalKernelTests : IAsyncLifetime
{
    private readonly LocalKernelFixture _fixture = new();
    private KernelRecord _kernel = null!;
    private KernelClient _client = null!;

    public async Task InitializeAsync()
    {
        _kernel = await _fixture.StartAsync();
        _client = await _fixture.ConnectAsync(_kernel);
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        await _fixture.DisposeAsync();
    }

    [Fact]
    public async Task Executes_code_streaming_stdout_and_the_result()
    {
        var result = await ExecutionResult.RunAsync(_client, "import sys; print('hello from', sys.version_info[0]); 6*7");
        Assert.Equal("ok", result.Reply.Status);
        Assert.Equal("hello from 3\n", result.Stdout);
        Assert.Equal("42", result.ResultText);
        Assert.True(result.Reply.ExecutionCount > 0);
    }

    [Fact]
    public async Task A_blocking_reader_gets_every_output_and_finds_Completion_settled_when_they_end()
    {
        // Invoke-KernelCode's way: the pipeline thread blocks for outputs (woken by the I/O thread), then reads
        // Completion without waiting. Run on a thread of its own, as a pipeline thread is.
        var outputs = new List<KernelOutput>();
        KernelExecuteReply? reply = null;
        bool completionSettled = false;
        var pipeline = new Thread(() =>
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var execution = _client.ExecuteAsync("for i in range(3): print(i, flush=True)\n'done'", new ExecuteOptions(), cts.Token).GetAwaiter().GetResult();
            while (execution.WaitForOutputs(TimeSpan.FromMilliseconds(250), cts.Token) != OutputWaitResult.Completed)
                while (execution.Outputs.TryRead(out var o)) outputs.Add(o);
            completionSettled = execution.Completion.IsCompleted;
            reply = execution.Completion.GetAwaiter().GetResult();
        });
        pipeline.Start();
        Assert.True(await Task.Run(() => pipeline.Join(TimeSpan.FromSeconds(90))));
        Assert.True(completionSettled);
        Assert.Equal("ok", reply!.Status);
        Assert.Equal("0\n1\n2\n", string.Concat(outputs.OfType<KernelStreamOutput>().Select(s => s.Text)));
        Assert.Equal("'done'", Assert.Single(outputs.OfType<KernelExecuteResult>()).Data["text/plain"]);
    }

    [Fact]
    public async Task Kernel_error_arrives_as_KernelError_with_traceback()
    {
        var result = await ExecutionResult.RunAsync(_client, "1/0");
        Assert.Equal("error", result.Reply.Status);
        var error = Assert.Single(result.Errors);
        Assert.Equal("ZeroDivisionError", error.Ename);
        Assert.Contains("division", error.Evalue);
        Assert.NotEmpty(error.Traceback);
    }

    [Fact]
    public async Task Display_data_update_and_clear_output_are_typed()
    {
        var result = await ExecutionResult.RunAsync(_client,
            "from IPython.display import display, HTML, clear_output\n" +
            "h = display(HTML('<b>x</b>'), display_id='d1')\n" +
            "h.update(HTML('<b>y</b>'))\n" +
            "clear_output(wait=True)\n");
        var displays = result.Outputs.OfType<KernelDisplayData>().ToList();
        Assert.Equal(2, displays.Count);
        Assert.False(displays[0].IsUpdate);
        Assert.True(displays[1].IsUpdate);
        Assert.Equal("d1", displays[1].DisplayId);
        Assert.Equal("<b>y</b>", displays[1].Data["text/html"]);
        Assert.True(Assert.Single(result.Outputs.OfType<KernelClearOutput>()).Wait);
    }

    [Fact]
    public async Task Input_request_is_answered_by_the_caller()
    {
        var result = await ExecutionResult.RunAsync(_client, "name = input('Name? '); print('hi', name)", answer: r => r.Prompt == "Name? " ? "Ada" : "?");
        Assert.Equal("hi Ada\n", result.Stdout);
        Assert.Single(result.Outputs.OfType<KernelInputRequest>());
    }

    [Fact]
    public async Task Password_input_is_flagged()
    {
        var result = await ExecutionResult.RunAsync(_client, "import getpass; p = getpass.getpass('pw: '); print(len(p))", answer: _ => "secret");
        Assert.True(Assert.Single(result.Outputs.OfType<KernelInputRequest>()).Password);
        Assert.Equal("6\n", result.Stdout);
    }

    [Fact]
    public async Task Stop_on_error_aborts_queued_requests()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var failing = await _client.ExecuteAsync("import time; time.sleep(0.5); raise ValueError('first')", new ExecuteOptions(), cts.Token);
        var queued = await _client.ExecuteAsync("print('must not run')", new ExecuteOptions(), cts.Token);
        Assert.Equal("error", (await failing.Completion.WaitAsync(cts.Token)).Status);
        var reply = await queued.Completion.WaitAsync(cts.Token);
        Assert.Equal("aborted", reply.Status);
        var outputs = new List<KernelOutput>();
        await foreach (var o in queued.Outputs.ReadAllAsync(cts.Token)) outputs.Add(o);
        Assert.DoesNotContain(outputs, o => o is KernelStreamOutput);
        Assert.Null(reply.ExecutionCount);
    }

    [Fact]
    public async Task A_cell_sent_right_after_a_failed_one_is_not_aborted()
    {
        // ipykernel keeps aborting for a moment after an error's idle; scripts run cells back to back.
        for (int i = 0; i < 40; i++)
        {
            Assert.Equal("error", (await ExecutionResult.RunAsync(_client, "1/0")).Reply.Status);
            var next = await ExecutionResult.RunAsync(_client, $"{i} + 1");
            Assert.Equal("ok", next.Reply.Status);
            Assert.Equal($"{i + 1}", next.ResultText);
        }
    }

    [Fact]
    public async Task Timeout_interrupts_the_kernel_and_reports_ExecutionTimeout()
    {
        var sw = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<KernelException>(() =>
            ExecutionResult.RunAsync(_client, "import time; time.sleep(30)", new ExecuteOptions { Timeout = TimeSpan.FromSeconds(1) }));
        Assert.Equal(ErrorIds.ExecutionTimeout, error.ErrorId);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), $"took {sw.Elapsed}");
        // The interrupt freed the kernel: the next cell runs at once instead of after the sleep.
        var next = await ExecutionResult.RunAsync(_client, "'free'", bound: TimeSpan.FromSeconds(10));
        Assert.Equal("'free'", next.ResultText);
    }

    [Fact]
    public async Task Cancellation_interrupts_the_kernel()
    {
        using var cts = new CancellationTokenSource();
        var execution = await _client.ExecuteAsync("import time; time.sleep(30)", new ExecuteOptions(), cts.Token);
        await Task.Delay(500);
        cts.Cancel();
        var error = await Assert.ThrowsAsync<KernelException>(() => execution.Completion);
        Assert.Equal(ErrorIds.ExecutionCancelled, error.ErrorId);
        var next = await ExecutionResult.RunAsync(_client, "'after'", bound: TimeSpan.FromSeconds(10));
        Assert.Equal("'after'", next.ResultText);
    }

    [Fact]
    public async Task Interrupt_by_signal_raises_KeyboardInterrupt()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var execution = await _client.ExecuteAsync("import time; time.sleep(30)", new ExecuteOptions(), cts.Token);
        await Task.Delay(500);
        var sw = Stopwatch.StartNew();
        await _fixture.Provider.InterruptAsync(_kernel, cts.Token);
        var reply = await execution.Completion.WaitAsync(cts.Token);
        Assert.Equal("error", reply.Status);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5));
        var outputs = new List<KernelOutput>();
        await foreach (var o in execution.Outputs.ReadAllAsync(cts.Token)) outputs.Add(o);
        Assert.Contains(outputs, o => o is KernelError { Ename: "KeyboardInterrupt" });
    }

    [Fact]
    public async Task Kernel_killed_during_execute_ends_the_wait_with_KernelDied_within_5s()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var execution = await _client.ExecuteAsync("import time; time.sleep(60)", new ExecuteOptions(), cts.Token);
        await Task.Delay(300);
        var sw = Stopwatch.StartNew();
        Process.GetProcessById(_kernel.LocalData().Pid!.Value).Kill();
        var error = await Assert.ThrowsAsync<KernelException>(() => execution.Completion.WaitAsync(cts.Token));
        Assert.Equal(ErrorIds.KernelDied, error.ErrorId);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"took {sw.Elapsed}");
        var probe = await _fixture.Provider.ProbeAsync(_kernel, cts.Token);
        Assert.Equal(KernelLiveness.Gone, probe.Liveness);
    }

    [Fact]
    public async Task Connection_file_is_private_and_readable_by_jupyter_client()
    {
        Assert.NotNull(_kernel.LocalData().ConnectionFile);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_kernel.LocalData().ConnectionFile!));
        // jupyter console --existing uses exactly this: a BlockingKernelClient loaded from the file.
        var script = "import sys\nfrom jupyter_client import BlockingKernelClient\n" +
                     "c = BlockingKernelClient(connection_file=sys.argv[1]); c.load_connection_file(); c.start_channels()\n" +
                     "c.wait_for_ready(timeout=30)\n" +
                     "r = c.execute_interactive('print(21*2)', timeout=30, output_hook=lambda m: print(m['content'].get('text',''), end=''))\n" +
                     "print(r['content']['status'])\n";
        var (code, stdout, stderr) = await RunPythonAsync(script, _kernel.LocalData().ConnectionFile!);
        Assert.True(code == 0, stderr);
        Assert.Contains("42", stdout);
        Assert.Contains("ok", stdout);
    }

    [Fact]
    public async Task Kernel_outlives_a_client_and_survives_reconnection()
    {
        await _client.DisposeAsync();
        _client = await _fixture.ConnectAsync(_kernel);
        var result = await ExecutionResult.RunAsync(_client, "'still here'");
        Assert.Equal("'still here'", result.ResultText);
    }

    [Fact]
    public async Task Restart_keeps_the_id_and_clears_state()
    {
        await ExecutionResult.RunAsync(_client, "marker = 1");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var restarted = await _fixture.Provider.RestartAsync(_kernel, cts.Token);
        _fixture.Track(restarted);
        Assert.Equal(_kernel.Id, restarted.Id);
        Assert.NotEqual(_kernel.LocalData().Pid, restarted.LocalData().Pid);
        await _client.DisposeAsync();
        _kernel = restarted;
        _client = await _fixture.ConnectAsync(restarted);
        var result = await ExecutionResult.RunAsync(_client, "'marker' in globals()");
        Assert.Equal("False", result.ResultText);
    }

    [Fact]
    public async Task Shutdown_ends_the_process_and_removes_the_connection_file()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _client.DisposeAsync();
        _client = await _fixture.ConnectAsync(_kernel);
        await _fixture.Provider.ShutdownAsync(_kernel, now: false, cts.Token);
        Assert.False(ProcessSignals.Exists(_kernel.LocalData().Pid!.Value) && !IsZombie(_kernel.LocalData().Pid!.Value));
        Assert.False(File.Exists(_kernel.LocalData().ConnectionFile));
    }

    private static bool IsZombie(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2] == "Z"; } catch (IOException) { return false; }
    }

    internal static async Task<(int, string, string)> RunPythonAsync(string script, params string[] args)
    {
        var info = new ProcessStartInfo(RealPython.Path) { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script);
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var o = p.StandardOutput.ReadToEndAsync(cts.Token);
        var e = p.StandardError.ReadToEndAsync(cts.Token);
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { p.Kill(true); throw; }
        return (p.ExitCode, await o, await e);
    }
}
