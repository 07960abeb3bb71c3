using System.Text.Json;
using JupyterKernels.Connections;
using JupyterKernels.Messaging;
using JupyterKernels.Providers;
using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.KernelClients;

/// <summary>
/// <see cref="KernelClient"/>'s own methods, one request type each, against the real Debian ipykernel: kernel_info,
/// execute (outputs in the kernel's order, errors, stdin), complete, is_complete, inspect, history, comm_info,
/// interrupt, shutdown, and what a disposed client does.
/// </summary>
[Trait("Category", "Integration")] // starts processes
public sealed class KernelClientTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
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

    private static CancellationToken Bound(int seconds = 60) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    [Fact]
    public async Task WaitForReady_and_GetKernelInfo_return_ipykernels_kernel_info_on_control_and_on_shell()
    {
        // ConnectAsync waited for readiness: Info is the kernel_info_reply that proved it.
        var ready = Assert.IsType<KernelInfo>(_client.Info);
        Assert.Equal("ipython", ready.Implementation);
        Assert.Equal("python", ready.LanguageName);
        Assert.StartsWith("5.", ready.ProtocolVersion);
        Assert.Equal("python", JsonDocument.Parse(ready.LanguageInfoJson).RootElement.GetProperty("name").GetString());

        var control = await _client.GetKernelInfoAsync(Wait, Bound());
        var shell = await _client.GetKernelInfoAsync(Wait, Bound(), KernelChannel.Shell);
        Assert.Equal(control.ImplementationVersion, shell.ImplementationVersion);
        Assert.Equal("ipython", shell.Implementation);
        Assert.Same(shell, _client.Info); // the latest reply is the one kept
        Assert.True(_client.Channels?.ControlAnswers); // ipykernel answered kernel_info on control
        Assert.NotNull(_client.KernelSession);
    }

    [Fact]
    public async Task Execute_writes_outputs_in_the_order_the_kernel_published_them_and_records_the_count()
    {
        var result = await ExecutionResult.RunAsync(_client,
            "from IPython.display import display\nprint('first', flush=True)\ndisplay({'text/plain': 'shown'}, raw=True)\nprint('second', flush=True)\n6*7");
        Assert.Equal("ok", result.Reply.Status);
        var kinds = result.Outputs.Where(o => o is not KernelExecuteReply).Select(o => o switch
        {
            KernelStreamOutput s => "stream:" + s.Text.Trim(),
            KernelExecuteResult r => "result:" + r.Data["text/plain"],
            KernelDisplayData d => "display:" + d.Data["text/plain"],
            _ => o.GetType().Name,
        }).ToList();
        Assert.Equal(new[] { "stream:first", "display:shown", "stream:second", "result:42" }, kinds);
        Assert.Equal(result.Reply.ExecutionCount, _client.LastExecutionCount);
        Assert.Equal(KernelState.Idle, _client.ExecutionState);
        Assert.NotNull(_client.LastActivity);
        Assert.Equal(0, _client.PendingCount);
    }

    [Fact]
    public async Task Execute_of_failing_code_ends_with_status_error_and_one_error_output()
    {
        var result = await ExecutionResult.RunAsync(_client, "print('before', flush=True)\nraise ValueError('no good')");
        Assert.Equal("error", result.Reply.Status);
        Assert.Equal("before\n", result.Stdout);
        var error = Assert.Single(result.Errors);
        Assert.Equal("ValueError", error.Ename);
        Assert.Equal("no good", error.Evalue);
    }

    [Fact]
    public async Task Execute_in_raw_mode_hands_over_the_kernels_messages_instead_of_typed_outputs()
    {
        var result = await ExecutionResult.RunAsync(_client, "print('raw')", new ExecuteOptions { Raw = true });
        Assert.Equal("ok", result.Reply.Status);
        var raw = result.Outputs.OfType<KernelRawMessage>().ToList();
        Assert.Contains(raw, m => m.MsgType == "stream");
        Assert.DoesNotContain(result.Outputs, o => o is KernelStreamOutput);
    }

    [Fact]
    public async Task An_input_request_is_answered_through_the_output_it_arrives_as()
    {
        var result = await ExecutionResult.RunAsync(_client, "name = input('who? ')\nprint('hello', name)", answer: _ => "ada");
        Assert.Equal("ok", result.Reply.Status);
        var request = Assert.Single(result.Outputs.OfType<KernelInputRequest>());
        Assert.Equal("who? ", request.Prompt);
        Assert.False(request.Password);
        Assert.Equal("hello ada\n", result.Stdout);
        // An input request answers once.
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await request.RespondAsync("again"));
    }

    [Fact]
    public async Task Complete_returns_matches_and_the_span_they_replace_in_UTF16_indices()
    {
        // The emoji is two UTF-16 units but one code point: a client that did not convert would be off by one.
        var code = "word = '\U0001F600'\nword.upp";
        var completion = await _client.CompleteAsync(code, code.Length, Wait, Bound());
        Assert.NotEmpty(completion.Matches);
        Assert.Equal(code.Length, completion.CursorEnd);
        var completed = code[..completion.CursorStart] + completion.Matches[0] + code[completion.CursorEnd..];
        Assert.EndsWith("word.upper", completed);
    }

    [Theory]
    [InlineData("x = 1", CodeCompletenessStatus.Complete)]
    [InlineData("for i in range(3):", CodeCompletenessStatus.Incomplete)]
    [InlineData("x = (1,", CodeCompletenessStatus.Incomplete)]
    public async Task IsComplete_reads_the_kernels_verdict(string code, CodeCompletenessStatus expected)
    {
        var verdict = await _client.IsCompleteAsync(code, Wait, Bound());
        Assert.NotNull(verdict);
        Assert.Equal(expected, verdict!.Status);
        if (code.EndsWith(':')) Assert.Equal("    ", verdict.Indent);
    }

    [Fact]
    public async Task History_tail_returns_the_last_inputs_oldest_first()
    {
        await ExecutionResult.RunAsync(_client, "alpha = 11");
        await ExecutionResult.RunAsync(_client, "beta = 22");
        var history = await _client.GetHistoryTailAsync(2, Wait, Bound());
        Assert.Equal(new[] { "alpha = 11", "beta = 22" }, history.Select(h => h.Input));
        Assert.True(history[1].Line > history[0].Line);
        Assert.Equal(history[0].Session, history[1].Session);
    }

    [Fact]
    public async Task Request_carries_an_inspect_request_and_returns_its_reply()
    {
        var content = RequestContent.Build(w =>
        {
            w.WriteString("code", "len");
            w.WriteNumber("cursor_pos", 3);
            w.WriteNumber("detail_level", 0);
        });
        var reply = await _client.RequestAsync(KernelChannel.Shell, "inspect_request", content, Wait, Bound());
        Assert.Equal("inspect_reply", reply.MsgType);
        Assert.Equal("ok", reply.Content.GetStringOrNull("status"));
        Assert.True(reply.Content.GetProperty("found").GetBoolean());
        Assert.Contains("len", reply.Content.GetProperty("data").GetProperty("text/plain").GetString());
    }

    [Fact]
    public async Task A_comm_the_kernel_opens_is_listed_by_comm_info()
    {
        var opened = await ExecutionResult.RunAsync(_client, "from ipykernel.comm import Comm\njk_comm = Comm(target_name='jk-client-test')\njk_comm.comm_id");
        Assert.Equal("ok", opened.Reply.Status);
        var commId = opened.ResultText!.Trim('\'');
        var reply = await _client.RequestAsync(KernelChannel.Shell, "comm_info_request",
            RequestContent.Build(w => w.WriteString("target_name", "jk-client-test")), Wait, Bound());
        Assert.Equal("ok", reply.Content.GetStringOrNull("status"));
        var comms = reply.Content.GetProperty("comms");
        Assert.Equal("jk-client-test", comms.GetProperty(commId).GetProperty("target_name").GetString());
    }

    [Fact]
    public async Task Interrupt_on_control_ends_a_running_cell_with_KeyboardInterrupt()
    {
        var ct = Bound();
        var execution = await _client.ExecuteAsync("import time\nprint('sleeping', flush=True)\ntime.sleep(60)", new ExecuteOptions(), ct);
        await foreach (var o in execution.Outputs.ReadAllAsync(ct))
            if (o is KernelStreamOutput) break; // it runs
        await _client.InterruptAsync(Wait, ct);
        var reply = await execution.Completion.WaitAsync(ct);
        Assert.Equal("error", reply.Status);
        var outputs = new List<KernelOutput>();
        await foreach (var o in execution.Outputs.ReadAllAsync(ct)) outputs.Add(o);
        Assert.Equal("KeyboardInterrupt", Assert.Single(outputs.OfType<KernelError>()).Ename);
        // The kernel runs the next cell.
        Assert.Equal("ok", (await ExecutionResult.RunAsync(_client, "1")).Reply.Status);
    }

    [Fact]
    public async Task Shutdown_is_acknowledged_and_the_kernel_then_answers_nothing()
    {
        Assert.True(await _client.ShutdownAsync(restart: false, Wait, Bound()));
        var error = await Assert.ThrowsAsync<KernelException>(() => _client.GetKernelInfoAsync(TimeSpan.FromSeconds(5), Bound()));
        Assert.Contains(error.ErrorId, new[] { ErrorIds.KernelDied, ErrorIds.KernelNotResponding, ErrorIds.ConnectionFailed });
    }

    [Fact]
    public async Task Dispose_ends_an_execution_in_flight_and_refuses_later_calls()
    {
        var ct = Bound();
        var execution = await _client.ExecuteAsync("import time; time.sleep(30)", new ExecuteOptions { InterruptOnCancel = false }, ct);
        await _client.DisposeAsync();
        var ended = await Assert.ThrowsAsync<KernelException>(() => execution.Completion.WaitAsync(ct));
        Assert.Equal(ErrorIds.ConnectionFailed, ended.ErrorId);
        Assert.Equal(0, _client.PendingCount);
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => _client.ExecuteAsync("1", new ExecuteOptions(), ct));
        Assert.True(refused is KernelException or ObjectDisposedException, refused.GetType().Name);
        await _client.DisposeAsync(); // twice is harmless
    }
}

/// <summary><see cref="KernelClient"/>'s checks before anything is sent (no kernel).</summary>
public sealed class KernelClientRefusalTests
{
    [Fact]
    public void Code_with_a_NUL_character_is_refused_naming_its_line()
    {
        var error = Assert.Throws<KernelException>(() => KernelClient.EnsureExecutable("a = 1\nb = 2\nc = '\0'", "k1"));
        Assert.Equal(ErrorIds.CodeInvalid, error.ErrorId);
        Assert.Contains("line 3", error.Message);
        KernelClient.EnsureExecutable("no nul here", "k1"); // does not throw
    }

    [Theory]
    [InlineData("a\U0001F600b", 3, 4)] // after the emoji: 3 code points, 4 UTF-16 units
    [InlineData("abc", 2, 2)]
    public void Cursor_positions_convert_between_code_points_and_UTF16(string text, int codePoints, int utf16)
    {
        Assert.Equal(codePoints, CodePoints.FromUtf16Index(text, utf16));
        Assert.Equal(utf16, CodePoints.ToUtf16Index(text, codePoints));
    }
}
