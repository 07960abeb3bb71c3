using JupyterKernels.Tests.Support;
using System.Text;
using System.Text.Json;
using JupyterKernels.Connections;
using JupyterKernels.Messaging;
using NetMQ;
using NetMQ.Sockets;

namespace JupyterKernels.LoadPeer;

/// <summary>
/// One virtual kernel (protocol 5.3, like Debian's ipykernel 6.17): shell and control ROUTERs, an IOPub PUB and a
/// heartbeat REP on ephemeral 127.0.0.1 ports, its own HMAC-SHA256 key. Every shell/control request is framed by
/// <c>status busy</c> … <c>status idle</c> on IOPub with the request as parent. Handlers run on the poller thread only.
/// </summary>
internal sealed class VirtualKernel : IDisposable
{
    public const string Implementation = "jupyterkernels-loadpeer";
    public const string KernelProtocolVersion = "5.3";

    private readonly NetMQPoller _poller;
    private readonly Action _onRequest, _onShutDown;
    private readonly RouterSocket _shell = new(), _control = new();
    private readonly PublisherSocket _iopub = new();
    private readonly ResponseSocket _hb = new();
    private readonly MessageSigner _signer;
    private readonly string _session = Guid.NewGuid().ToString();
    private readonly string _statusTopicPrefix;
    private List<byte[]>? _frames;
    private int _executionCount;
    private long _msgCounter;
    private bool _closed;

    public VirtualKernel(int index, int stdinPort, NetMQPoller poller, Action onRequest, Action onShutDown)
    {
        _poller = poller;
        _onRequest = onRequest;
        _onShutDown = onShutDown;
        Index = index;
        var key = Guid.NewGuid().ToString("N");
        _signer = new MessageSigner(key);
        _statusTopicPrefix = $"kernel.{_session}.";
        foreach (var socket in Sockets) socket.Options.Linger = TimeSpan.FromMilliseconds(500);
        Connection = new ConnectionInfo
        {
            ShellPort = _shell.BindRandomPort("tcp://127.0.0.1"),
            IOPubPort = _iopub.BindRandomPort("tcp://127.0.0.1"),
            StdinPort = stdinPort,
            ControlPort = _control.BindRandomPort("tcp://127.0.0.1"),
            HbPort = _hb.BindRandomPort("tcp://127.0.0.1"),
            Ip = "127.0.0.1",
            Key = key,
            KernelName = "loadpeer",
        };
        _shell.ReceiveReady += (_, _) => Drain(_shell, isControl: false);
        _control.ReceiveReady += (_, _) => Drain(_control, isControl: true);
        _hb.ReceiveReady += (_, _) =>
        {
            while (_hb.TryReceiveMultipartBytes(ref _frames)) _hb.SendMultipartBytes(_frames!);
        };
        poller.Add(_shell);
        poller.Add(_control);
        poller.Add(_hb);
    }

    public int Index { get; }
    public ConnectionInfo Connection { get; }

    private NetMQSocket[] Sockets => [_shell, _control, _iopub, _hb];

    private void Drain(RouterSocket socket, bool isControl)
    {
        while (!_closed && socket.TryReceiveMultipartBytes(ref _frames))
        {
            var decoded = WireFormat.Deserialize(_frames!, _signer);
            if (decoded.Message is not { } request)
            {
                Console.Error.WriteLine($"loadpeer: kernel {Index}: dropped a message ({decoded.Error}: {decoded.Detail})");
                continue;
            }
            _onRequest();
            Handle(socket, request, isControl);
        }
    }

    private void Handle(RouterSocket socket, JupyterMessage request, bool isControl)
    {
        Publish("status", Content(w => w.WriteString("execution_state", "busy")), request.Header);
        switch (request.MsgType)
        {
            case "kernel_info_request":
                Reply(socket, request, "kernel_info_reply", KernelInfo());
                break;
            case "execute_request" when !isControl:
                Execute(request);
                break;
            case "shutdown_request" when isControl:
            {
                bool restart = request.Content.GetBooleanOrNull("restart") ?? false;
                var content = Content(w => { w.WriteString("status", "ok"); w.WriteBoolean("restart", restart); });
                Reply(socket, request, "shutdown_reply", content);
                Publish("shutdown_reply", content, request.Header);
                Publish("status", Content(w => w.WriteString("execution_state", "idle")), request.Header);
                Close();
                return;
            }
            default:
                Console.Error.WriteLine($"loadpeer: kernel {Index}: {request.MsgType} not implemented; busy/idle only");
                break;
        }
        Publish("status", Content(w => w.WriteString("execution_state", "idle")), request.Header);
    }

    private void Execute(JupyterMessage request)
    {
        var code = request.Content.GetStringOrNull("code") ?? "";
        bool silent = request.Content.GetBooleanOrNull("silent") ?? false;
        bool storeHistory = request.Content.GetBooleanOrNull("store_history") ?? !silent;
        if (!silent && storeHistory) _executionCount++;
        int count = _executionCount;
        if (!silent)
            Publish("execute_input", Content(w => { w.WriteString("code", code); w.WriteNumber("execution_count", count); }), request.Header);

        var outcome = TrivialCode.Run(code);
        if (outcome.Error is { } error)
        {
            if (!silent)
                Publish("error", Content(w => WriteError(w, error)), request.Header);
            Reply(_shell, request, "execute_reply", Content(w => { w.WriteString("status", "error"); w.WriteNumber("execution_count", count); WriteError(w, error); }),
                Content(w => w.WriteString("status", "error")));
            return;
        }
        if (!silent && outcome.Printed is { } printed)
            Publish("stream", Content(w => { w.WriteString("name", "stdout"); w.WriteString("text", printed); }), request.Header);
        if (!silent && outcome.Value is { } value)
        {
            Publish("execute_result", Content(w =>
            {
                w.WriteStartObject("data");
                w.WriteString("text/plain", value);
                w.WriteEndObject();
                w.WriteStartObject("metadata");
                w.WriteEndObject();
                w.WriteNumber("execution_count", count);
            }), request.Header);
        }
        Reply(_shell, request, "execute_reply", Content(w =>
        {
            w.WriteString("status", "ok");
            w.WriteNumber("execution_count", count);
            w.WriteStartObject("user_expressions");
            w.WriteEndObject();
            w.WriteStartArray("payload");
            w.WriteEndArray();
        }), Content(w => w.WriteString("status", "ok")));
    }

    private static void WriteError(Utf8JsonWriter w, (string Name, string Value) error)
    {
        w.WriteString("ename", error.Name);
        w.WriteString("evalue", error.Value);
        w.WriteStartArray("traceback");
        w.WriteStringValue($"{error.Name}: {error.Value}");
        w.WriteEndArray();
    }

    private JsonElement KernelInfo() => Content(w =>
    {
        w.WriteString("status", "ok");
        w.WriteString("protocol_version", KernelProtocolVersion);
        w.WriteString("implementation", Implementation);
        w.WriteString("implementation_version", "0.1.0");
        w.WriteStartObject("language_info");
        w.WriteString("name", "loadlang");
        w.WriteString("version", "1.0");
        w.WriteString("mimetype", "text/x-loadlang");
        w.WriteString("file_extension", ".ll");
        w.WriteEndObject();
        w.WriteString("banner", $"JupyterKernels load peer, virtual kernel {Index} (integer expressions and print(expr))");
        w.WriteStartArray("help_links");
        w.WriteEndArray();
    });

    private static JsonElement Content(Action<Utf8JsonWriter> write) => RequestContent.Build(write);

    private JupyterMessage Build(string msgType, JsonElement content, MessageHeader? parent, JsonElement? metadata = null) =>
        KernelSideMessage.Build($"{_session}_{++_msgCounter}", _session, "loadpeer", KernelProtocolVersion, msgType, content, parent, metadata);

    private void Publish(string msgType, JsonElement content, MessageHeader parent)
    {
        var topic = msgType == "stream" ? "stream." + (content.GetStringOrNull("name") ?? "stdout") : _statusTopicPrefix + msgType;
        Send(_iopub, WireFormat.Serialize(Build(msgType, content, parent), _signer, [Encoding.UTF8.GetBytes(topic)]));
    }

    private void Reply(RouterSocket socket, JupyterMessage request, string msgType, JsonElement content, JsonElement? metadata = null)
        => Send(socket, WireFormat.Serialize(Build(msgType, content, request.Header, metadata), _signer, request.Identities));

    private static void Send(NetMQSocket socket, IReadOnlyList<ReadOnlyMemory<byte>> frames)
    {
        // ROUTER drops a message for a peer that is gone, PUB drops at its high-water mark: neither blocks.
        for (int i = 0; i < frames.Count; i++) socket.SendFrame(frames[i].ToArray(), more: i < frames.Count - 1);
    }

    private void Close()
    {
        // On the poller thread (we are inside a handler): remove, then dispose; linger lets the replies drain.
        _closed = true;
        foreach (var socket in new NetMQSocket[] { _shell, _control, _hb }) _poller.Remove(socket);
        foreach (var socket in Sockets) socket.Dispose();
        _onShutDown();
    }

    public void Dispose()
    {
        if (_closed) return;
        _closed = true;
        foreach (var socket in Sockets) socket.Dispose();
    }
}
