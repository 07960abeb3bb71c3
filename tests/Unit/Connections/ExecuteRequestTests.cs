using System.Text.Json;
using JupyterKernels.Connections;
using JupyterKernels.Messaging;

namespace JupyterKernels.Tests.ExecuteRequests;

/// <summary>
/// One execute_request in flight, fed the kernel's messages by hand (no socket, no kernel): when it completes, what
/// it writes as outputs, and how it ends when the kernel leaves out the reply or the idle status.
/// </summary>
public class ExecuteRequestTests
{
    private static readonly MessageFactory Kernel = new("kernel-session", "kernel");
    private readonly JupyterMessage _request = new MessageFactory("client-session", "ada").Create("execute_request", Json("""{"code":"6*7"}"""));

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    private ExecuteRequest Start(TimeSpan? idleGrace = null, TimeSpan? replyGrace = null) =>
        new("k1", _request, raw: false, emitMessages: false, idleGrace ?? TimeSpan.FromSeconds(1), replyGrace ?? TimeSpan.FromSeconds(5),
            (_, _, _) => ValueTask.CompletedTask);

    private ExecuteRequest StartRecording(bool typedOutputs) =>
        new("k1", _request, raw: !typedOutputs, emitMessages: true, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5),
            (_, _, _) => ValueTask.CompletedTask);

    private JupyterMessage Reply(string type, string content) => Kernel.Create(type, Json(content), _request.Header);

    private static List<KernelOutput> Drain(ExecuteRequest r)
    {
        var list = new List<KernelOutput>();
        while (r.Outputs.TryRead(out var o)) list.Add(o);
        return list;
    }

    [Fact]
    public async Task Completes_only_when_both_the_reply_and_the_idle_status_are_in_with_the_outputs_in_order()
    {
        var r = Start();
        Assert.False(r.Started);
        r.OnMessage(KernelChannel.IOPub, Reply("status", """{"execution_state":"busy"}"""));
        Assert.True(r.Started);
        Assert.Equal("kernel-session", r.StartedUnderSession);
        r.OnMessage(KernelChannel.IOPub, Reply("stream", """{"name":"stdout","text":"hello\n"}"""));
        r.OnMessage(KernelChannel.IOPub, Reply("execute_result", """{"execution_count":3,"data":{"text/plain":"42"},"metadata":{}}"""));
        r.OnMessage(KernelChannel.Shell, Reply("execute_reply", """{"status":"ok","execution_count":3}"""));
        Assert.False(r.IsCompleted); // the reply alone: IOPub may still carry outputs
        r.OnMessage(KernelChannel.IOPub, Reply("status", """{"execution_state":"idle"}"""));
        Assert.True(r.IsCompleted);
        var reply = await r.Completion;
        Assert.Equal("ok", reply.Status);
        Assert.Equal(3, reply.ExecutionCount);
        var outputs = Drain(r);
        Assert.Equal("hello\n", Assert.IsType<KernelStreamOutput>(outputs[0]).Text);
        Assert.Equal("42", Assert.IsType<KernelExecuteResult>(outputs[1]).Data["text/plain"]);
        Assert.Equal(2, outputs.Count);
    }

    [Fact]
    public async Task A_reply_status_abort_is_reported_as_aborted()
    {
        var r = Start();
        r.OnMessage(KernelChannel.IOPub, Reply("status", """{"execution_state":"idle"}"""));
        r.OnMessage(KernelChannel.Shell, Reply("execute_reply", """{"status":"abort"}"""));
        Assert.Equal("aborted", (await r.Completion).Status);
    }

    [Fact]
    public async Task An_error_told_only_in_the_reply_is_written_once_as_an_error_output()
    {
        var r = Start();
        r.OnMessage(KernelChannel.Shell, Reply("execute_reply", """{"status":"error","ename":"NameError","evalue":"x","traceback":["NameError: x"],"execution_count":1}"""));
        r.OnMessage(KernelChannel.IOPub, Reply("status", """{"execution_state":"idle"}"""));
        Assert.Equal("error", (await r.Completion).Status);
        var error = Assert.IsType<KernelError>(Assert.Single(Drain(r)));
        Assert.Equal("NameError", error.Ename);
    }

    [Fact]
    public async Task An_error_published_on_IOPub_is_not_written_again_from_the_reply()
    {
        var r = Start();
        r.OnMessage(KernelChannel.IOPub, Reply("error", """{"ename":"NameError","evalue":"x","traceback":["NameError: x"]}"""));
        r.OnMessage(KernelChannel.Shell, Reply("execute_reply", """{"status":"error","ename":"NameError","evalue":"x","traceback":[],"execution_count":1}"""));
        r.OnMessage(KernelChannel.IOPub, Reply("status", """{"execution_state":"idle"}"""));
        await r.Completion;
        Assert.Single(Drain(r).OfType<KernelError>());
    }

    [Fact]
    public async Task After_Abandon_the_interrupts_KeyboardInterrupt_is_not_written()
    {
        var r = Start();
        r.Abandon();
        r.OnMessage(KernelChannel.IOPub, Reply("error", """{"ename":"KeyboardInterrupt","evalue":"","traceback":[]}"""));
        r.OnMessage(KernelChannel.Shell, Reply("execute_reply", """{"status":"error","ename":"KeyboardInterrupt","evalue":"","traceback":[]}"""));
        r.OnMessage(KernelChannel.IOPub, Reply("status", """{"execution_state":"idle"}"""));
        await r.Completion;
        Assert.Empty(Drain(r));
    }

    [Fact]
    public async Task A_reply_without_idle_completes_after_the_idle_grace()
    {
        var r = Start(idleGrace: TimeSpan.FromMilliseconds(100));
        r.OnMessage(KernelChannel.Shell, Reply("execute_reply", """{"status":"ok","execution_count":1}"""));
        r.OnTick(DateTimeOffset.UtcNow);
        Assert.False(r.IsCompleted);
        r.OnTick(DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.Equal("ok", (await r.Completion).Status);
    }

    [Fact]
    public async Task Idle_without_a_reply_ends_with_ExecutionReplyMissing_after_the_reply_grace()
    {
        var r = Start(replyGrace: TimeSpan.FromMilliseconds(100));
        r.OnMessage(KernelChannel.IOPub, Reply("status", """{"execution_state":"idle"}"""));
        r.OnTick(DateTimeOffset.UtcNow);
        Assert.False(r.IsCompleted);
        r.OnTick(DateTimeOffset.UtcNow.AddSeconds(1));
        var e = await Assert.ThrowsAsync<KernelException>(() => r.Completion);
        Assert.Equal(ErrorIds.ExecutionReplyMissing, e.ErrorId);
        Assert.True(r.Outputs.Completion.IsCompleted || r.Outputs.Count == 0);
    }

    [Fact]
    public async Task Messages_after_completion_are_ignored()
    {
        var r = Start();
        r.OnMessage(KernelChannel.Shell, Reply("execute_reply", """{"status":"ok","execution_count":1}"""));
        r.OnMessage(KernelChannel.IOPub, Reply("status", """{"execution_state":"idle"}"""));
        await r.Completion;
        r.OnMessage(KernelChannel.IOPub, Reply("stream", """{"name":"stdout","text":"late"}"""));
        Assert.Empty(Drain(r));
    }

    [Fact]
    public async Task A_recording_caller_gets_each_message_once_with_the_typed_output_made_of_it()
    {
        var r = StartRecording(typedOutputs: false);
        r.OnMessage(KernelChannel.IOPub, Reply("status", """{"execution_state":"busy"}"""));
        r.OnMessage(KernelChannel.IOPub, Reply("stream", """{"name":"stderr","text":"careful\n"}"""));
        r.OnMessage(KernelChannel.IOPub, Reply("display_data", """{"data":{"text/plain":"1.0"},"metadata":{"w":1.50},"transient":{"display_id":"d"}}"""));
        r.OnMessage(KernelChannel.Shell, Reply("execute_reply", """{"status":"ok","execution_count":3}"""));
        r.OnMessage(KernelChannel.IOPub, Reply("status", """{"execution_state":"idle"}"""));
        await r.Completion;
        var outputs = Drain(r);
        // No raw JSON strings and no typed outputs of their own: one record per message.
        var messages = outputs.Select(o => Assert.IsType<KernelProtocolMessage>(o)).ToList();
        Assert.Equal(new[] { "status", "stream", "display_data", "execute_reply", "status" }, messages.Select(m => m.MsgType));
        Assert.Null(messages[0].Output);
        Assert.Equal("stderr", Assert.IsType<KernelStreamOutput>(messages[1].Output).Name);
        var display = Assert.IsType<KernelDisplayData>(messages[2].Output);
        Assert.Equal("d", display.DisplayId);
        Assert.Equal("""{"w":1.50}""", display.MetadataJson.GetRawText()); // the kernel's JSON, as sent
        Assert.Equal(KernelChannel.Shell, messages[3].Channel);
        Assert.Null(messages[3].Output);
    }

    [Fact]
    public async Task A_recording_caller_that_wants_outputs_gets_the_same_typed_object_in_both()
    {
        var r = StartRecording(typedOutputs: true);
        r.OnMessage(KernelChannel.IOPub, Reply("stream", """{"name":"stdout","text":"hi\n"}"""));
        r.OnMessage(KernelChannel.Shell, Reply("execute_reply", """{"status":"ok","execution_count":1}"""));
        r.OnMessage(KernelChannel.IOPub, Reply("status", """{"execution_state":"idle"}"""));
        await r.Completion;
        var outputs = Drain(r);
        var message = Assert.IsType<KernelProtocolMessage>(outputs[0]);
        Assert.Same(message.Output, Assert.IsType<KernelStreamOutput>(outputs[1]));
        Assert.DoesNotContain(outputs, o => o is KernelRawMessage);
    }
}
