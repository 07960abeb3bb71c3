using System.Diagnostics;
using System.Text.Json;
using JupyterKernels.Connections;
using JupyterKernels.Messaging;
using JupyterKernels.TestKernel;
using JupyterKernels.Tests.Support;
using JupyterKernels.Transport.Zmq;

namespace JupyterKernels.Tests.TestKernel;

/// <summary>The test kernel, started through LocalKernelProvider, passes what our client expects of any kernel:
/// kernel_info fields, busy → execute_input → outputs → reply → idle with the request as parent, the command
/// language, a shared execution count, message-mode interrupt, shutdown, and the 5.5 iopub_welcome.</summary>
[Trait("Category", "Integration")] // starts processes or servers
public sealed class TestKernelConformanceTests : IAsyncLifetime
{
    private TestKernelHost _host = null!;
    private KernelClient Client => _host.Client;

    public async Task InitializeAsync() => _host = await TestKernelHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Kernel_info_on_shell_and_control_has_the_5_5_fields()
    {
        foreach (var channel in new[] { KernelChannel.Shell, KernelChannel.Control })
        {
            var reply = await Client.RequestAsync(channel, "kernel_info_request", RequestContent.Empty, TimeSpan.FromSeconds(5), CancellationToken.None);
            var c = reply.Content;
            Assert.Equal("ok", c.GetStringOrNull("status"));
            Assert.Equal("5.5", c.GetStringOrNull("protocol_version"));
            Assert.Equal("jupyterkernels-testkernel", c.GetStringOrNull("implementation"));
            Assert.Equal("testlang", c.GetProperty("language_info").GetStringOrNull("name"));
            Assert.StartsWith(".", c.GetProperty("language_info").GetStringOrNull("file_extension"));
            Assert.False(string.IsNullOrEmpty(c.GetStringOrNull("banner")));
            Assert.Contains("kernel subshells", c.GetStringList("supported_features"));
            Assert.Equal("5.5", reply.Header.Version);
        }
        var info = await Client.GetKernelInfoAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.True(info.SupportsSubshells);
        Assert.Equal("testlang", info.LanguageName);
    }

    [Fact]
    public async Task Execute_publishes_busy_input_outputs_reply_idle_with_the_request_as_parent()
    {
        var result = await ExecutionResult.RunAsync(Client, "print hello\nresult 42", new ExecuteOptions { Raw = true }, bound: TimeSpan.FromSeconds(10));
        var raw = result.Outputs.Cast<KernelRawMessage>().ToList();
        var iopub = raw.Where(m => m.Channel == "iopub").ToList();
        Assert.Equal(new[] { "status", "execute_input", "stream", "execute_result", "status" }, iopub.Select(m => m.MsgType));
        Assert.Contains("\"busy\"", iopub[0].ContentJson);
        Assert.Contains("\"idle\"", iopub[^1].ContentJson);
        Assert.All(raw, m => Assert.Equal(result.Reply.ParentMsgId, m.ParentMsgId));
        var reply = Assert.Single(raw, m => m.Channel == "shell");
        Assert.Equal("execute_reply", reply.MsgType);
        using var input = JsonDocument.Parse(iopub[1].ContentJson);
        Assert.Equal("print hello\nresult 42", input.RootElement.GetProperty("code").GetString());
        Assert.Equal(result.Reply.ExecutionCount, input.RootElement.GetProperty("execution_count").GetInt32());
    }

    [Fact]
    public async Task Command_language_outputs_are_typed()
    {
        var result = await ExecutionResult.RunAsync(Client,
            "print out line\neprint err line\ndisplay text/html <b>x</b>\ndisplay application/json {\"a\":1}\nresult the answer\nsubshell\ncount",
            bound: TimeSpan.FromSeconds(10));
        Assert.Equal("ok", result.Reply.Status);
        Assert.Equal($"out line\nmain\n{result.Reply.ExecutionCount}\n", result.Stdout);
        Assert.Equal("err line\n", result.Stderr);
        var displays = result.Outputs.OfType<KernelDisplayData>().ToList();
        Assert.Equal("<b>x</b>", displays[0].Data["text/html"]);
        var json = Assert.IsType<Dictionary<string, object?>>(displays[1].Data["application/json"]);
        Assert.Equal(1L, Convert.ToInt64(json["a"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("the answer", result.ResultText);
    }

    [Fact]
    public async Task Error_command_and_unknown_command_fail_the_execution()
    {
        var result = await ExecutionResult.RunAsync(Client, "print before\nerror ValueError bad value\nprint after", bound: TimeSpan.FromSeconds(10));
        Assert.Equal("error", result.Reply.Status);
        var error = Assert.Single(result.Errors);
        Assert.Equal("ValueError", error.Ename);
        Assert.Equal("bad value", error.Evalue);
        Assert.NotEmpty(error.Traceback);
        Assert.Equal("before\n", result.Stdout);

        var unknown = await ExecutionResult.RunAsync(Client, "frobnicate", bound: TimeSpan.FromSeconds(10));
        Assert.Equal("error", unknown.Reply.Status);
        Assert.Equal("UnknownCommand", Assert.Single(unknown.Errors).Ename);
    }

    [Fact]
    public async Task Execution_count_increases_and_silent_does_not_count()
    {
        var first = await ExecutionResult.RunAsync(Client, "count", bound: TimeSpan.FromSeconds(10));
        var silent = await ExecutionResult.RunAsync(Client, "print quiet", new ExecuteOptions { Silent = true }, bound: TimeSpan.FromSeconds(10));
        var second = await ExecutionResult.RunAsync(Client, "count", bound: TimeSpan.FromSeconds(10));
        Assert.Equal(first.Reply.ExecutionCount + 1, second.Reply.ExecutionCount);
        Assert.Equal(first.Reply.ExecutionCount, silent.Reply.ExecutionCount);
    }

    [Fact]
    public async Task Input_request_is_answered_on_the_main_shell()
    {
        var result = await ExecutionResult.RunAsync(Client, "input Name? ", answer: r => r.Prompt == "Name? " ? "Ada" : "?", bound: TimeSpan.FromSeconds(10));
        Assert.Equal("Ada\n", result.Stdout);
        Assert.Single(result.Outputs.OfType<KernelInputRequest>());
    }

    [Fact]
    public async Task Input_without_stdin_is_an_error()
    {
        var result = await ExecutionResult.RunAsync(Client, "input x", new ExecuteOptions { AllowStdin = false }, bound: TimeSpan.FromSeconds(10));
        Assert.Equal("StdinNotImplementedError", Assert.Single(result.Errors).Ename);
    }

    [Fact]
    public async Task Message_mode_interrupt_stops_the_main_shell_command()
    {
        var execution = await Client.ExecuteAsync("sleep 20\nprint never", new ExecuteOptions(), CancellationToken.None);
        await Task.Delay(300);
        var sw = Stopwatch.StartNew();
        await _host.Provider.InterruptAsync(_host.Record, CancellationToken.None);
        var reply = await execution.Completion.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(3), $"interrupt took {sw.Elapsed}");
        Assert.Equal("error", reply.Status);
        var outputs = new List<KernelOutput>();
        await foreach (var o in execution.Outputs.ReadAllAsync()) outputs.Add(o);
        Assert.Equal("KeyboardInterrupt", Assert.Single(outputs.OfType<KernelError>()).Ename);
    }

    [Fact]
    public async Task Shutdown_request_is_answered_and_the_process_exits()
    {
        var reply = await Client.RequestAsync(KernelChannel.Control, "shutdown_request", RequestContent.Shutdown(false), TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.Equal("ok", reply.Content.GetStringOrNull("status"));
        Assert.False(reply.Content.GetBooleanOrNull("restart"));
        var pid = _host.Pid!.Value;
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(5) && IsAlive(pid)) await Task.Delay(50);
        Assert.False(IsAlive(pid), "the kernel process did not exit after shutdown_reply");
    }

    [Fact]
    public async Task A_new_iopub_subscription_gets_iopub_welcome_first()
    {
        // Our XPUB is non-verbose (libzmq's default): it reports a topic only when its first subscriber arrives.
        // The host's client already holds "", so this subscriber uses a topic of its own.
        var info = ConnectionFile.Parse(_host.Record.LocalData().ConnectionInfoJson!);
        await using var sub = ZmqSocket.Create(ZmqSocketType.Sub);
        sub.Subscribe("kernel."u8);
        await sub.ConnectAsync(info.Endpoint(KernelChannel.IOPub));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var frames = await sub.ReceiveAsync(cts.Token);
        var decoded = WireFormat.Deserialize(frames.Frames, new MessageSigner(info.Key, info.SignatureScheme));
        Assert.NotNull(decoded.Message);
        Assert.Equal("iopub_welcome", decoded.Message!.MsgType);
        Assert.Null(decoded.Message.ParentHeader);
        Assert.Equal("kernel.", decoded.Message.Content.GetStringOrNull("subscription"));
        Assert.Equal("kernel."u8.ToArray(), frames[0]);
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }
}

/// <summary>Started with --no-subshells: no feature, and subshell requests go unanswered (as ipykernel without support).</summary>
[Trait("Category", "Integration")] // starts processes or servers
public sealed class TestKernelWithoutSubshellsTests : IAsyncLifetime
{
    private TestKernelHost _host = null!;

    public async Task InitializeAsync() => _host = await TestKernelHost.StartAsync(new TestKernelStartOptions { NoSubshells = true });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task No_feature_and_no_reply_to_create_subshell()
    {
        var info = await _host.Client.GetKernelInfoAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.False(info.SupportsSubshells);
        var reply = await _host.Client.TryRequestAsync(KernelChannel.Control, "create_subshell_request", RequestContent.Empty, TimeSpan.FromSeconds(1), CancellationToken.None);
        Assert.Null(reply);
        // The kernel is still fine.
        var result = await ExecutionResult.RunAsync(_host.Client, "print still here", bound: TimeSpan.FromSeconds(10));
        Assert.Equal("still here\n", result.Stdout);
    }
}
