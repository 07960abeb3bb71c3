using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using JupyterKernels.Connections;
using JupyterKernels.Messaging;
using JupyterKernels.Transport.Zmq;

namespace JupyterKernels.TestKernel;

/// <summary>
/// The kernel process: five sockets on the connection file's ports, a shell-channel router that hands each shell
/// request to the queue of its (sub)shell by <c>header.subshell_id</c>, a sequential control loop (kernel_info,
/// shutdown, interrupt, subshell management), an XPUB IOPub that greets every subscription with iopub_welcome, and a
/// heartbeat echo. Threading follows ipykernel 7: the main shell on the main thread, one thread per subshell.
/// </summary>
public sealed class KernelServer
{
    public const string Implementation = "jupyterkernels-testkernel";
    public const string KernelProtocolVersion = "5.5";

    private readonly ConnectionInfo _info;
    private readonly MessageSigner _signer;
    private readonly MessageSigner _wrongSigner = new("not-the-key-" + Guid.NewGuid().ToString("N"));
    private readonly string _session = Guid.NewGuid().ToString();
    private readonly string _ident = Guid.NewGuid().ToString();
    private readonly IZmqSocket _shell, _control, _stdin, _iopub, _hb;
    private readonly object _subshellLock = new();
    private readonly Dictionary<string, ShellWorker> _subshells = new(StringComparer.Ordinal);
    private readonly List<string> _subshellOrder = new();
    private readonly Channel<JupyterMessage> _stdinReplies = Channel.CreateUnbounded<JupyterMessage>();
    private readonly SemaphoreSlim _stdinLock = new(1, 1);
    private readonly CancellationTokenSource _lifetime = new();
    private PosixSignalRegistration? _sigint;
    private int _executionCount;
    private long _msgCounter;

    public KernelServer(ConnectionInfo info, bool subshellsEnabled)
    {
        _info = info;
        SubshellsEnabled = subshellsEnabled;
        _signer = new MessageSigner(info.Key, info.SignatureScheme);
        _shell = ZmqSocket.Create(ZmqSocketType.Router);
        _control = ZmqSocket.Create(ZmqSocketType.Router);
        _stdin = ZmqSocket.Create(ZmqSocketType.Router);
        _iopub = ZmqSocket.Create(ZmqSocketType.XPub);
        _hb = ZmqSocket.Create(ZmqSocketType.Rep);
        Main = new ShellWorker(this, null);
    }

    public bool SubshellsEnabled { get; }

    /// <summary>The parent (main) shell; its thread is the caller of <see cref="RunMainShell"/>.</summary>
    internal ShellWorker Main { get; }

    internal int ExecutionCount => Volatile.Read(ref _executionCount);

    internal int NextExecutionCount() => Interlocked.Increment(ref _executionCount);

    public async Task StartAsync()
    {
        string Ep(int port) => $"tcp://{_info.Ip}:{port}";
        await _shell.BindAsync(Ep(_info.ShellPort));
        await _control.BindAsync(Ep(_info.ControlPort));
        await _stdin.BindAsync(Ep(_info.StdinPort));
        await _iopub.BindAsync(Ep(_info.IOPubPort));
        await _hb.BindAsync(Ep(_info.HbPort));
        _ = Task.Run(ShellRouterLoopAsync);
        _ = Task.Run(ControlLoopAsync);
        _ = Task.Run(StdinLoopAsync);
        _ = Task.Run(IOPubSubscriptionLoopAsync);
        _ = Task.Run(HeartbeatLoopAsync);
        try
        {
            // Optional: a SIGINT (signal interrupt mode) interrupts the main shell only, as in ipykernel.
            _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => { ctx.Cancel = true; Main.Interrupt(); });
        }
        catch (PlatformNotSupportedException) { }
        Publish("status", Content(w => w.WriteString("execution_state", "starting")), parent: null);
    }

    public void RunMainShell() => Main.Run();

    // ------------------------------------------------------------------ sockets

    private async Task ShellRouterLoopAsync()
    {
        while (!_lifetime.IsCancellationRequested)
        {
            var message = await ReceiveAsync(_shell, "shell");
            if (message is null) continue;
            var subshellId = message.Header.SubshellId;
            if (subshellId is null)
            {
                Main.Enqueue(message);
                continue;
            }
            ShellWorker? target;
            lock (_subshellLock) _subshells.TryGetValue(subshellId, out target);
            if (target is null)
            {
                // ipykernel: KeyError in the shell channel thread, logged as "Invalid message"; nothing is sent.
                Log($"invalid message: unknown subshell_id '{subshellId}' ({message.MsgType}); dropped");
                continue;
            }
            target.Enqueue(message);
        }
    }

    private async Task StdinLoopAsync()
    {
        while (!_lifetime.IsCancellationRequested)
        {
            var message = await ReceiveAsync(_stdin, "stdin");
            if (message is not null && message.MsgType == "input_reply") _stdinReplies.Writer.TryWrite(message);
        }
    }

    private async Task IOPubSubscriptionLoopAsync()
    {
        while (!_lifetime.IsCancellationRequested)
        {
            ZmqMessage frames;
            try { frames = await _iopub.ReceiveAsync(_lifetime.Token); }
            catch (Exception) when (_lifetime.IsCancellationRequested) { return; }
            if (frames.Count == 0 || frames[0].Length == 0 || frames[0][0] != 1) continue;
            var topic = frames[0][1..];
            // JEP 65: welcome on every subscription, no parent header, topic = the subscription.
            var content = Content(w => w.WriteString("subscription", Encoding.UTF8.GetString(topic)));
            await SendOnAsync(_iopub, new[] { topic }, Build("iopub_welcome", content, null));
        }
    }

    private async Task HeartbeatLoopAsync()
    {
        while (!_lifetime.IsCancellationRequested)
        {
            try
            {
                var ping = await _hb.ReceiveAsync(_lifetime.Token);
                await _hb.SendAsync(ping.Frames.Select(f => (ReadOnlyMemory<byte>)f).ToArray(), _lifetime.Token);
            }
            catch (Exception) when (_lifetime.IsCancellationRequested) { return; }
            catch (ZmqException e) { Log($"heartbeat: {e.Message}"); }
        }
    }

    private async Task<JupyterMessage?> ReceiveAsync(IZmqSocket socket, string name)
    {
        ZmqMessage frames;
        try { frames = await socket.ReceiveAsync(_lifetime.Token); }
        catch (Exception) when (_lifetime.IsCancellationRequested) { return null; }
        var decoded = WireFormat.Deserialize(frames.Frames, _signer);
        if (decoded.Message is null)
        {
            Log($"{name}: dropped a message ({decoded.Error}: {decoded.Detail})");
            return null;
        }
        return decoded.Message;
    }

    // ------------------------------------------------------------------ control

    private async Task ControlLoopAsync()
    {
        while (!_lifetime.IsCancellationRequested)
        {
            var request = await ReceiveAsync(_control, "control");
            if (request is null) continue;
            try
            {
                await HandleControlAsync(request);
            }
            catch (Exception e)
            {
                Log($"control: {request.MsgType} failed: {e}");
            }
        }
    }

    private async Task HandleControlAsync(JupyterMessage request)
    {
        Publish("status", Status("busy"), request.Header);
        switch (request.MsgType)
        {
            case "kernel_info_request":
                Reply(_control, request, "kernel_info_reply", KernelInfoContent());
                break;
            case "interrupt_request":
                // Message-mode interrupt = what SIGINT does to ipykernel: only the main shell's current command stops.
                Main.Interrupt();
                Reply(_control, request, "interrupt_reply", Content(w => w.WriteString("status", "ok")));
                break;
            case "shutdown_request":
            {
                bool restart = request.Content.GetBooleanOrNull("restart") ?? false;
                var content = Content(w => { w.WriteString("status", "ok"); w.WriteBoolean("restart", restart); });
                Reply(_control, request, "shutdown_reply", content);
                Publish("shutdown_reply", content, request.Header); // ipykernel broadcasts a copy on IOPub
                Publish("status", Status("idle"), request.Header);
                await ShutdownAsync(0);
                return;
            }
            case "create_subshell_request" or "delete_subshell_request" or "list_subshell_request" when !SubshellsEnabled:
                Log($"control: {request.MsgType} but subshells are not supported; no reply (as ipykernel)");
                break;
            case "create_subshell_request":
            {
                var id = Guid.NewGuid().ToString();
                var worker = new ShellWorker(this, id);
                lock (_subshellLock)
                {
                    _subshells[id] = worker;
                    _subshellOrder.Add(id);
                }
                worker.Start();
                Reply(_control, request, "create_subshell_reply", Content(w => { w.WriteString("status", "ok"); w.WriteString("subshell_id", id); }));
                break;
            }
            case "delete_subshell_request":
            {
                var id = request.Content.GetStringOrNull("subshell_id");
                ShellWorker? worker = null;
                lock (_subshellLock)
                {
                    if (id is not null && _subshells.Remove(id, out worker)) _subshellOrder.Remove(id);
                }
                if (worker is null)
                {
                    // ipykernel: KeyError(subshell_id) -> {"status": "error", "evalue": str(err)} (str of a KeyError quotes it).
                    Reply(_control, request, "delete_subshell_reply", Content(w => { w.WriteString("status", "error"); w.WriteString("evalue", $"'{id}'"); }));
                    break;
                }
                // ipykernel joins the subshell thread: a running command finishes first, and the control channel
                // waits meanwhile. Requests still queued for it get no reply.
                await worker.StopAndJoinAsync();
                Reply(_control, request, "delete_subshell_reply", Content(w => w.WriteString("status", "ok")));
                break;
            }
            case "list_subshell_request":
            {
                string[] ids;
                lock (_subshellLock) ids = _subshellOrder.ToArray();
                Reply(_control, request, "list_subshell_reply", Content(w =>
                {
                    w.WriteString("status", "ok");
                    w.WriteStartArray("subshell_id");
                    foreach (var id in ids) w.WriteStringValue(id);
                    w.WriteEndArray();
                }));
                break;
            }
            default:
                Log($"control: unknown message type {request.MsgType}; no reply");
                break;
        }
        Publish("status", Status("idle"), request.Header);
    }

    internal async Task ShutdownAsync(int exitCode)
    {
        // Give the reply and the IOPub copies a moment on the wire, then go (sockets flush within their linger).
        await Task.Delay(50);
        _lifetime.Cancel();
        await Task.WhenAll(_shell.DisposeAsync().AsTask(), _control.DisposeAsync().AsTask(), _stdin.DisposeAsync().AsTask(),
            _iopub.DisposeAsync().AsTask(), _hb.DisposeAsync().AsTask()).WaitAsync(TimeSpan.FromSeconds(2)).ContinueWith(_ => { });
        Environment.Exit(exitCode);
    }

    internal JsonElement KernelInfoContent() => Content(w =>
    {
        w.WriteString("status", "ok");
        w.WriteString("protocol_version", KernelProtocolVersion);
        w.WriteString("implementation", Implementation);
        w.WriteString("implementation_version", "0.1.0");
        w.WriteStartObject("language_info");
        w.WriteString("name", "testlang");
        w.WriteString("version", "1.0");
        w.WriteString("mimetype", "text/x-testlang");
        w.WriteString("file_extension", ".tl");
        w.WriteString("pygments_lexer", "text");
        w.WriteString("codemirror_mode", "text");
        w.WriteString("nbconvert_exporter", "script");
        w.WriteEndObject();
        w.WriteString("banner", "JupyterKernels test kernel (commands: sleep print eprint display result error input exit count subshell fault)");
        w.WriteBoolean("debugger", false);
        w.WriteStartArray("help_links");
        w.WriteEndArray();
        w.WriteStartArray("supported_features");
        if (SubshellsEnabled) w.WriteStringValue("kernel subshells");
        w.WriteEndArray();
    });

    // ------------------------------------------------------------------ stdin

    /// <summary>input(): input_request to the shell identity of <paramref name="request"/> (parent = the request), then
    /// wait for input_reply. One at a time and not demultiplexed by subshell, like ipykernel.</summary>
    internal string RequestInput(JupyterMessage request, string prompt, bool password, CancellationToken cancellationToken)
    {
        _stdinLock.Wait(cancellationToken);
        try
        {
            while (_stdinReplies.Reader.TryRead(out _)) { } // ipykernel flushes stale replies first
            var message = Build("input_request", Content(w => { w.WriteString("prompt", prompt); w.WriteBoolean("password", password); }), request.Header);
            SendOnAsync(_stdin, request.Identities, message).AsTask().GetAwaiter().GetResult();
            var reply = _stdinReplies.Reader.ReadAsync(cancellationToken).AsTask().GetAwaiter().GetResult();
            return reply.Content.GetStringOrNull("value") ?? "";
        }
        finally
        {
            _stdinLock.Release();
        }
    }

    // ------------------------------------------------------------------ sending

    internal static JsonElement Content(Action<Utf8JsonWriter> write) => RequestContent.Build(write);

    internal static JsonElement Status(string state) => Content(w => w.WriteString("execution_state", state));

    internal JupyterMessage Build(string msgType, JsonElement content, MessageHeader? parent, JsonElement? metadata = null) => new()
    {
        Header = new MessageHeader
        {
            MsgId = $"{_session}_{Environment.ProcessId}_{Interlocked.Increment(ref _msgCounter)}",
            Session = _session,
            Username = "testkernel",
            Date = MessageFactory.Now(),
            MsgType = msgType,
            Version = KernelProtocolVersion,
        },
        ParentHeader = parent,
        Content = content,
        Metadata = metadata ?? JupyterMessage.Empty,
    };

    /// <summary>Publishes on IOPub with ipykernel-like topics (<c>kernel.&lt;id&gt;.&lt;type&gt;</c>, <c>stream.&lt;name&gt;</c>).</summary>
    internal void Publish(string msgType, JsonElement content, MessageHeader? parent)
    {
        var topic = msgType == "stream"
            ? "stream." + (content.GetStringOrNull("name") ?? "stdout")
            : $"kernel.{_ident}.{msgType}";
        SendOnAsync(_iopub, new[] { Encoding.UTF8.GetBytes(topic) }, Build(msgType, content, parent)).AsTask().GetAwaiter().GetResult();
    }

    internal void Reply(IZmqSocket socket, JupyterMessage request, string msgType, JsonElement content, ReplyFault fault = ReplyFault.None, JsonElement? metadata = null)
    {
        var message = Build(msgType, content, request.Header, metadata);
        var frames = WireFormat.Serialize(message, fault == ReplyFault.BadSignature ? _wrongSigner : _signer, request.Identities);
        if (fault == ReplyFault.Malformed)
        {
            // Content frame that is not JSON, correctly signed: the client must drop it as malformed, not as forged.
            var copy = frames.ToArray();
            int c = copy.Length - 1 - message.Buffers.Count;
            var badContent = Encoding.UTF8.GetBytes("{this is not json");
            copy[c] = badContent;
            copy[c - 4] = _signer.Sign(copy[c - 3].Span, copy[c - 2].Span, copy[c - 1].Span, badContent);
            frames = copy;
        }
        SendFrames(socket, frames);
    }

    internal void ReplyOnShell(JupyterMessage request, string msgType, JsonElement content, ReplyFault fault = ReplyFault.None, JsonElement? metadata = null)
        => Reply(_shell, request, msgType, content, fault, metadata);

    private ValueTask SendOnAsync(IZmqSocket socket, IReadOnlyList<byte[]> identities, JupyterMessage message)
    {
        try { return socket.SendAsync(WireFormat.Serialize(message, _signer, identities), _lifetime.Token); }
        catch (Exception e) when (e is ZmqException or ObjectDisposedException) { return ValueTask.CompletedTask; }
    }

    private void SendFrames(IZmqSocket socket, IReadOnlyList<ReadOnlyMemory<byte>> frames)
    {
        try { socket.SendAsync(frames, _lifetime.Token).AsTask().GetAwaiter().GetResult(); }
        catch (Exception e) when (e is ZmqException or ObjectDisposedException or OperationCanceledException) { }
    }

    internal static void Log(string text) => Console.Error.WriteLine($"testkernel: {text}");
}

internal enum ReplyFault { None, BadSignature, Malformed }
