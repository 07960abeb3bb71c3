using JupyterKernels.Tests.Support;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using JupyterKernels.Connections;
using JupyterKernels.Messaging;

namespace JupyterKernels.TestKernel;

/// <summary>
/// The kernel process: five NetMQ sockets on the connection file's ports (<see cref="KernelSockets"/>, one poller
/// thread), a shell-channel router that hands each shell request to the queue of its (sub)shell by
/// <c>header.subshell_id</c>, a sequential control loop on its own thread (kernel_info, shutdown, interrupt, subshell
/// management), an XPUB IOPub that greets every subscription with iopub_welcome, and a heartbeat echo. Threading
/// follows ipykernel 7: the main shell on the main thread, one thread per subshell.
/// </summary>
internal sealed class KernelServer
{
    public const string Implementation = "jupyterkernels-testkernel";
    public const string KernelProtocolVersion = "5.5";

    private readonly ConnectionInfo _info;
    private readonly MessageSigner _signer;
    private readonly MessageSigner _wrongSigner = new("not-the-key-" + Guid.NewGuid().ToString("N"));
    private readonly string _session = Guid.NewGuid().ToString();
    private readonly string _ident = Guid.NewGuid().ToString();
    private readonly KernelSockets _sockets;
    private readonly Channel<JupyterMessage> _controlRequests = Channel.CreateUnbounded<JupyterMessage>(new UnboundedChannelOptions { SingleReader = true });
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
        _sockets = new KernelSockets(OnMessage, Welcome);
        Main = new ShellWorker(this, null);
    }

    public bool SubshellsEnabled { get; }

    /// <summary>The parent (main) shell; its thread is the caller of <see cref="RunMainShell"/>.</summary>
    internal ShellWorker Main { get; }

    internal int ExecutionCount => Volatile.Read(ref _executionCount);

    internal int NextExecutionCount() => Interlocked.Increment(ref _executionCount);

    public Task StartAsync()
    {
        _sockets.Start(_info);
        _ = Task.Run(ControlLoopAsync);
        // exit, fault die and shutdown end the process with Environment.Exit: what was sent before still goes out.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => _sockets.Dispose();
        try
        {
            // Optional: a SIGINT (signal interrupt mode) interrupts the main shell only, as in ipykernel.
            _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => { ctx.Cancel = true; Main.Interrupt(); });
        }
        catch (PlatformNotSupportedException) { }
        if (WindowsInterruptEvent.FromEnvironment() is { } interruptEvent) WindowsInterruptEvent.Watch(interruptEvent, Main.Interrupt);
        Publish("status", Content(w => w.WriteString("execution_state", "starting")), parent: null);
        return Task.CompletedTask;
    }

    public void RunMainShell() => Main.Run();

    // ------------------------------------------------------------------ sockets (on the poller thread)

    private void OnMessage(KernelSocket socket, List<byte[]> frames)
    {
        var decoded = WireFormat.Deserialize(frames, _signer);
        if (decoded.Message is not { } message)
        {
            Log($"{socket.ToString().ToLowerInvariant()}: dropped a message ({decoded.Error}: {decoded.Detail})");
            return;
        }
        switch (socket)
        {
            case KernelSocket.Shell: RouteShell(message); break;
            case KernelSocket.Control: _controlRequests.Writer.TryWrite(message); break;
            case KernelSocket.Stdin when message.MsgType == "input_reply": _stdinReplies.Writer.TryWrite(message); break;
        }
    }

    private void RouteShell(JupyterMessage message)
    {
        var subshellId = message.Header.SubshellId;
        if (subshellId is null)
        {
            Main.Enqueue(message);
            return;
        }
        ShellWorker? target;
        lock (_subshellLock) _subshells.TryGetValue(subshellId, out target);
        if (target is null)
        {
            // ipykernel: KeyError in the shell channel thread, logged as "Invalid message"; nothing is sent.
            Log($"invalid message: unknown subshell_id '{subshellId}' ({message.MsgType}); dropped");
            return;
        }
        target.Enqueue(message);
    }

    /// <summary>JEP 65: welcome on every (first) subscription, no parent header, topic = the subscription.</summary>
    private IReadOnlyList<ReadOnlyMemory<byte>> Welcome(byte[] topic)
    {
        var content = Content(w => w.WriteString("subscription", Encoding.UTF8.GetString(topic)));
        return WireFormat.Serialize(Build("iopub_welcome", content, null), _signer, new[] { topic });
    }

    // ------------------------------------------------------------------ control

    private async Task ControlLoopAsync()
    {
        while (!_lifetime.IsCancellationRequested)
        {
            JupyterMessage request;
            try { request = await _controlRequests.Reader.ReadAsync(_lifetime.Token); }
            catch (OperationCanceledException) { return; }
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
                Reply(KernelSocket.Control, request, "kernel_info_reply", KernelInfoContent());
                break;
            case "interrupt_request":
                // Message-mode interrupt = what SIGINT does to ipykernel: only the main shell's current command stops.
                // Given an interrupt event on Windows, ipykernel only answers ("not supported on Windows"): so does this.
                if (WindowsInterruptEvent.FromEnvironment() is null) Main.Interrupt();
                Reply(KernelSocket.Control, request, "interrupt_reply", Content(w => w.WriteString("status", "ok")));
                break;
            case "shutdown_request":
            {
                bool restart = request.Content.GetBooleanOrNull("restart") ?? false;
                var content = Content(w => { w.WriteString("status", "ok"); w.WriteBoolean("restart", restart); });
                Reply(KernelSocket.Control, request, "shutdown_reply", content);
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
                Reply(KernelSocket.Control, request, "create_subshell_reply", Content(w => { w.WriteString("status", "ok"); w.WriteString("subshell_id", id); }));
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
                    Reply(KernelSocket.Control, request, "delete_subshell_reply", Content(w => { w.WriteString("status", "error"); w.WriteString("evalue", $"'{id}'"); }));
                    break;
                }
                // ipykernel joins the subshell thread: a running command finishes first, and the control channel
                // waits meanwhile. Requests still queued for it get no reply.
                await worker.StopAndJoinAsync();
                Reply(KernelSocket.Control, request, "delete_subshell_reply", Content(w => w.WriteString("status", "ok")));
                break;
            }
            case "list_subshell_request":
            {
                string[] ids;
                lock (_subshellLock) ids = _subshellOrder.ToArray();
                Reply(KernelSocket.Control, request, "list_subshell_reply", Content(w =>
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

    /// <summary>Set by the <c>linger</c> command: how long the process stays after a shutdown_reply, as a kernel whose
    /// teardown hangs (a non-daemon thread, a stuck atexit handler) would.</summary>
    internal static TimeSpan ShutdownLinger;

    internal async Task ShutdownAsync(int exitCode)
    {
        if (ShutdownLinger > TimeSpan.Zero)
        {
            Log($"lingering {ShutdownLinger.TotalSeconds} s before exiting");
            await Task.Delay(ShutdownLinger);
        }
        // Give the reply and the IOPub copies a moment on the wire, then go (the sockets flush within their linger).
        await _sockets.FlushAsync(TimeSpan.FromSeconds(1));
        await Task.Delay(50);
        _lifetime.Cancel();
        await Task.Run(_sockets.Dispose).WaitAsync(TimeSpan.FromSeconds(3)).ContinueWith(_ => { });
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
            _sockets.Send(KernelSocket.Stdin, WireFormat.Serialize(message, _signer, request.Identities));
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

    internal JupyterMessage Build(string msgType, JsonElement content, MessageHeader? parent, JsonElement? metadata = null) =>
        KernelSideMessage.Build($"{_session}_{Environment.ProcessId}_{Interlocked.Increment(ref _msgCounter)}", _session, "testkernel", KernelProtocolVersion, msgType, content, parent, metadata);

    /// <summary>Publishes on IOPub with ipykernel-like topics (<c>kernel.&lt;id&gt;.&lt;type&gt;</c>, <c>stream.&lt;name&gt;</c>).</summary>
    internal void Publish(string msgType, JsonElement content, MessageHeader? parent)
    {
        var topic = msgType == "stream"
            ? "stream." + (content.GetStringOrNull("name") ?? "stdout")
            : $"kernel.{_ident}.{msgType}";
        _sockets.Send(KernelSocket.IOPub, WireFormat.Serialize(Build(msgType, content, parent), _signer, new[] { Encoding.UTF8.GetBytes(topic) }));
    }

    internal void Reply(KernelSocket socket, JupyterMessage request, string msgType, JsonElement content, ReplyFault fault = ReplyFault.None, JsonElement? metadata = null)
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
        _sockets.Send(socket, frames);
    }

    internal void ReplyOnShell(JupyterMessage request, string msgType, JsonElement content, ReplyFault fault = ReplyFault.None, JsonElement? metadata = null)
        => Reply(KernelSocket.Shell, request, msgType, content, fault, metadata);

    internal static void Log(string text) => Console.Error.WriteLine($"testkernel: {text}");
}

internal enum ReplyFault { None, BadSignature, Malformed }
