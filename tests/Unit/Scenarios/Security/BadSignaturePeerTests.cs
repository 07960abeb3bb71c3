using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using JupyterKernels.Connections;
using JupyterKernels.Messaging;
using JupyterKernels.Tests.Support;
using JupyterKernels.Transport.Zmq;

namespace JupyterKernels.Tests.Security;

/// <summary>
/// A hand-made kernel on real loopback sockets answers an execute_request with a mix of good and forged messages on
/// IOPub and shell: wrongly signed, unsigned, tampered after signing, replayed. Only the correctly signed, first-seen
/// messages reach the caller; each forged one is reported as an InvalidSignature channel event.
/// </summary>
[Trait("Category", "Integration")] // starts processes or servers
public sealed class BadSignaturePeerTests
{
    [Fact]
    public async Task Forged_iopub_and_shell_messages_never_reach_the_caller()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var info = ConnectionInfo.CreateLocal("rogue");
        var signer = new MessageSigner(info.Key);
        var wrong = new MessageSigner("not-" + info.Key);
        var factory = new MessageFactory();
        await using var shell = TestSockets.Create(TestSocketType.Router);
        await using var iopub = TestSockets.Create(TestSocketType.XPub);
        await using var control = TestSockets.Create(TestSocketType.Router);
        await using var stdin = TestSockets.Create(TestSocketType.Router);
        await using var hb = TestSockets.Create(TestSocketType.Rep);
        string Ep(int port) => $"tcp://127.0.0.1:{port}";
        await shell.BindAsync(Ep(info.ShellPort), cts.Token);
        await iopub.BindAsync(Ep(info.IOPubPort), cts.Token);
        await control.BindAsync(Ep(info.ControlPort), cts.Token);
        await stdin.BindAsync(Ep(info.StdinPort), cts.Token);
        await hb.BindAsync(Ep(info.HbPort), cts.Token);
        var heart = Task.Run(async () =>
        {
            try { while (true) await hb.SendAsync((await hb.ReceiveAsync(cts.Token)).Frames.Select(f => (ReadOnlyMemory<byte>)f).ToArray(), cts.Token); }
            catch (Exception) { }
        });

        var events = new ConcurrentQueue<ChannelEvent>();
        var channels = await ZmtpKernelChannels.ConnectAsync(info, Guid.NewGuid().ToString("N"), cts.Token);
        channels.Event += (_, e) => events.Enqueue(e);
        await using var client = new KernelClient("rogue", channels, new KernelClientOptions { IdleGrace = TimeSpan.FromSeconds(2) });

        // PUB drops messages until the subscription arrives: wait for it (XPUB delivers it as a message).
        var subscription = await iopub.ReceiveAsync(cts.Token);
        Assert.Equal(1, subscription[0][0]);

        var execution = await client.ExecuteAsync("anything", new ExecuteOptions { Timeout = TimeSpan.FromSeconds(15) }, cts.Token);
        var request = await shell.ReceiveAsync(cts.Token);
        var identity = request[0];
        var parsed = WireFormat.Deserialize(request.Frames.Skip(1).ToList(), new MessageSigner(info.Key));
        Assert.NotNull(parsed.Message);
        var parent = parsed.Message!.Header;

        JupyterMessage Msg(string type, string json) => factory.Create(type, JsonDocument.Parse(json).RootElement, parent: parent);
        IReadOnlyList<ReadOnlyMemory<byte>> Frames(JupyterMessage m, MessageSigner s, byte[]? topicOrIdentity) =>
            WireFormat.Serialize(m, s, [topicOrIdentity ?? Encoding.ASCII.GetBytes("stream.stdout")]);
        static IReadOnlyList<ReadOnlyMemory<byte>> With(IReadOnlyList<ReadOnlyMemory<byte>> frames, int index, byte[] value)
        {
            var copy = frames.ToArray();
            copy[index] = value;
            return copy;
        }
        Task Pub(IReadOnlyList<ReadOnlyMemory<byte>> frames) => iopub.SendAsync(frames, cts.Token).AsTask();
        Task Reply(IReadOnlyList<ReadOnlyMemory<byte>> frames) => shell.SendAsync(frames, cts.Token).AsTask();
        // Frame layout after Serialize with one identity/topic: [topic, <IDS|MSG>, signature, header, parent, metadata, content].
        const int Signature = 2, Content = 6;

        await Pub(Frames(Msg("status", "{\"execution_state\":\"busy\"}"), signer, "status"u8.ToArray()));
        await Pub(Frames(Msg("stream", "{\"name\":\"stdout\",\"text\":\"EVIL-wrong-key\\n\"}"), wrong, null));
        await Pub(With(Frames(Msg("stream", "{\"name\":\"stdout\",\"text\":\"EVIL-unsigned\\n\"}"), signer, null), Signature, []));
        await Pub(With(Frames(Msg("stream", "{\"name\":\"stdout\",\"text\":\"GOOD-original\\n\"}"), signer, null), Content,
            Encoding.UTF8.GetBytes("{\"name\":\"stdout\",\"text\":\"EVIL-tampered\\n\"}")));
        var good = Frames(Msg("stream", "{\"name\":\"stdout\",\"text\":\"GOOD\\n\"}"), signer, null);
        await Pub(good);
        await Pub(good); // replay of a correctly signed message
        await Pub(Frames(Msg("error", "{\"ename\":\"EVIL\",\"evalue\":\"x\",\"traceback\":[]}"), wrong, null));
        await Reply(Frames(Msg("execute_reply", "{\"status\":\"error\",\"ename\":\"EVIL\",\"evalue\":\"forged\",\"traceback\":[]}"), wrong, identity));
        await Reply(With(Frames(Msg("execute_reply", "{\"status\":\"abort\"}"), signer, identity), Signature, []));
        await Reply(Frames(Msg("execute_reply", "{\"status\":\"ok\",\"execution_count\":7,\"user_expressions\":{},\"payload\":[]}"), signer, identity));
        await Pub(Frames(Msg("status", "{\"execution_state\":\"idle\"}"), signer, "status"u8.ToArray()));

        var outputs = new List<KernelOutput>();
        await foreach (var o in execution.Outputs.ReadAllAsync(cts.Token)) outputs.Add(o);
        var reply = await execution.Completion.WaitAsync(cts.Token);

        Assert.Equal("ok", reply.Status);
        Assert.Equal(7, reply.ExecutionCount);
        var stream = Assert.Single(outputs.OfType<KernelStreamOutput>());
        Assert.Equal("GOOD\n", stream.Text);
        Assert.DoesNotContain(outputs, o => o is KernelError);
        Assert.DoesNotContain(outputs, o => (o.ToString() ?? "").Contains("EVIL"));
        // wrong key, unsigned, tampered, replayed, forged error, forged reply, unsigned reply.
        Assert.Equal(7, events.Count(e => e.Kind == ChannelEventKind.InvalidSignature));
        Assert.All(events, e => Assert.DoesNotContain(info.Key, e.Detail));
        Assert.Null(client.TerminalError);
    }

    [Fact]
    public async Task Test_kernel_badsig_reply_is_dropped_and_the_execution_times_out_instead_of_completing()
    {
        var events = new ConcurrentQueue<ChannelEvent>();
        await using var host = await JupyterKernels.TestKernel.TestKernelHost.StartAsync(new JupyterKernels.TestKernel.TestKernelStartOptions
        {
            OnChannelEvent = (_, e) => events.Enqueue(e),
        });
        var execution = await host.Client.ExecuteAsync("print visible\nfault badsig", new ExecuteOptions { Timeout = TimeSpan.FromSeconds(2), InterruptOnCancel = false }, CancellationToken.None);
        var error = await Assert.ThrowsAsync<KernelException>(() => execution.Completion.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(ErrorIds.ExecutionTimeout, error.ErrorId);
        Assert.Contains(events, e => e.Kind == ChannelEventKind.InvalidSignature);
        var ok = await ExecutionResult.RunAsync(host.Client, "print after", bound: TimeSpan.FromSeconds(10));
        Assert.Equal("after\n", ok.Stdout);
    }
}
