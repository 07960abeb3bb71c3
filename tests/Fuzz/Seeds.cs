using System.Text;
using System.Text.Json;
using JupyterKernels.Connections;
using JupyterKernels.Messaging;
using JupyterKernels.Providers;
using JupyterKernels.Providers.Local;
using JupyterKernels.Transport.Zmq;

namespace JupyterKernels.Fuzz;

/// <summary>Seed inputs per target, made by the module's own writers ("JupyterKernels.Fuzz --write-seeds DIR"); the
/// committed corpus under tests/Fuzz/corpus/ started from these.</summary>
internal static class Seeds
{
    public static void Write(string root)
    {
        foreach (var (target, seeds) in All())
        {
            var folder = Path.Combine(root, target);
            Directory.CreateDirectory(folder);
            int i = 0;
            foreach (var seed in seeds) File.WriteAllBytes(Path.Combine(folder, $"seed-{i++:00}"), seed);
        }
    }

    private static IEnumerable<(string, IEnumerable<byte[]>)> All()
    {
        var messages = Messages();
        yield return ("zmtp-frames", ZmtpStreams());
        yield return ("zmtp-greeting", [Greeting.Build(), Greeting.Build(0), Concat(Greeting.Build()[..11], [3, 0])]);
        var signer = new MessageSigner(FuzzTargets.Key);
        yield return ("wire-format", messages.SelectMany(m => new[]
        {
            FuzzTargets.JoinFrames(false, WireFormat.Serialize(m.Message, signer, [Encoding.ASCII.GetBytes("id")])),
            FuzzTargets.JoinFrames(true, WireFormat.Serialize(m.Message, signer)),
        }));
        yield return ("websocket-v1", messages.Select(m => WebSocketV1Framing.Serialize(m.Channel, m.Message)));
        yield return ("websocket-legacy", messages.Select(m =>
        {
            var (frame, binary) = WebSocketLegacyFraming.Serialize(m.Channel, m.Message);
            return Concat([(byte)(binary ? 1 : 0)], frame);
        }));
        var info = new ConnectionInfo { ShellPort = 50001, IOPubPort = 50002, StdinPort = 50003, ControlPort = 50004, HbPort = 50005, Key = "c0ffee00-5ec2-4e7a-b1a5-000000000000", KernelName = "python3" };
        yield return ("connection-file", [Utf8(ConnectionFile.Serialize(info)),
            Utf8("{\"shell_port\":1,\"iopub_port\":2,\"stdin_port\":3,\"control_port\":4,\"hb_port\":5,\"ip\":\"::1\",\"transport\":\"tcp\",\"signature_scheme\":\"hmac-sha512\",\"key\":\"k\",\"jupyter_session\":\"/x.ipynb\"}")]);
        yield return ("kernelspec", [
            Utf8("{\"argv\":[\"python3\",\"-m\",\"ipykernel_launcher\",\"-f\",\"{connection_file}\"],\"display_name\":\"Python 3\",\"language\":\"python\",\"metadata\":{\"debugger\":true}}"),
            Utf8("{\"argv\":[\"/bin/k\"],\"display_name\":\"K\",\"language\":\"k\",\"interrupt_mode\":\"message\",\"env\":{\"A\":\"1\",\"B\":\"\"},\"kernel_protocol_version\":\"5.5\"}"),
            Utf8("{\"argv\":[\"R\",\"--slave\",\"-e\",\"IRkernel::main()\",\"--args\",\"{connection_file}\"],\"display_name\":\"R\",\"language\":\"R\"}")]);
        yield return ("providers-file", [ProvidersFile.Serialize([
            new ProviderRegistration { Name = "hub", Url = "https://hub.example:8888/", TokenEnvironmentVariable = "HUB_TOKEN", RequestTimeout = TimeSpan.FromSeconds(20),
                HeaderEnvironmentVariables = new Dictionary<string, string> { ["X-A"] = "A_ENV" }, EnvironmentAllowList = ["PATH"], ValidateCertificate = false, CaBundlePath = "/ca.pem" },
            new ProviderRegistration { Name = "eg", Url = "http://127.0.0.1:8889", AuthScheme = "Bearer" },
        ]), Utf8("{\"version\":1,\"providers\":[{\"name\":\"old\",\"kind\":\"gateway\",\"url\":\"http://h\",\"headers\":{\"X\":\"v\"}}]}")]);
        yield return ("notebook", [Utf8(Notebook)]);
        yield return ("provider-data", [
            Utf8(new LocalKernelData { ConnectionInfoJson = ConnectionFile.Serialize(info), ConnectionFile = "/run/kernel-1.json", Pid = 4242, ProcessStartTime = DateTimeOffset.UnixEpoch.AddDays(20000), Adopted = true }.ToJson()),
            Utf8(new Providers.Gateway.RemoteKernelData { Url = "http://127.0.0.1:8888/api/kernels/abc" }.ToJson())]);
    }

    private static IEnumerable<byte[]> ZmtpStreams()
    {
        // [chunk size byte] READY command, a two-part message, a long frame, PING.
        var ready = ZmtpCommands.BuildReady("DEALER", "id"u8, includeIdentity: true);
        var ping = ZmtpCommands.BuildPing(TimeSpan.FromSeconds(3), "ctx"u8);
        var stream = new List<byte> { 7 };
        stream.AddRange(Frame(ready, command: true, more: false));
        stream.AddRange(Frame("<IDS|MSG>"u8.ToArray(), command: false, more: true));
        stream.AddRange(Frame(new byte[300], command: false, more: false));
        stream.AddRange(Frame(ping, command: true, more: false));
        yield return stream.ToArray();
        yield return Concat([255], Frame(ZmtpCommands.BuildSubscription(true, "topic"u8, 1), command: true, more: false));
        yield return Concat([0], Frame(ZmtpCommands.BuildError("nope"), command: true, more: false));
    }

    private static byte[] Frame(byte[] body, bool command, bool more)
    {
        var output = new List<byte>();
        byte flags = (byte)((more ? 1 : 0) | (command ? 4 : 0));
        if (body.Length > 255)
        {
            output.Add((byte)(flags | 2));
            var size = new byte[8];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(size, (ulong)body.Length);
            output.AddRange(size);
        }
        else
        {
            output.Add(flags);
            output.Add((byte)body.Length);
        }
        output.AddRange(body);
        return output.ToArray();
    }

    private static List<(KernelChannel Channel, JupyterMessage Message)> Messages()
    {
        var factory = new MessageFactory("fuzz-session", "fuzz");
        var request = factory.Create("execute_request", RequestContent.Execute("1+1", false, true, true, true));
        JupyterMessage M(string type, string json, params byte[][] buffers) => new()
        {
            Header = factory.Create(type, JupyterMessage.Empty).Header,
            ParentHeader = request.Header,
            Content = JsonDocument.Parse(json).RootElement,
            Buffers = buffers.Select(b => (ReadOnlyMemory<byte>)b).ToArray(),
        };
        return
        [
            (KernelChannel.Shell, request),
            (KernelChannel.IOPub, M("stream", "{\"name\":\"stdout\",\"text\":\"x\\n\"}")),
            (KernelChannel.Shell, M("execute_reply", "{\"status\":\"ok\",\"execution_count\":1,\"user_expressions\":{}}")),
            (KernelChannel.IOPub, M("display_data", "{\"data\":{\"text/plain\":\"1\",\"image/png\":\"iVBOR\"},\"metadata\":{},\"transient\":{\"display_id\":\"d\"}}")),
            (KernelChannel.IOPub, M("error", "{\"ename\":\"E\",\"evalue\":\"v\",\"traceback\":[\"a\",\"b\"]}")),
            (KernelChannel.IOPub, M("comm_msg", "{\"comm_id\":\"c\",\"data\":{}}", [1, 2, 3], Encoding.UTF8.GetBytes("two"))),
            (KernelChannel.Stdin, M("input_request", "{\"prompt\":\"? \",\"password\":false}")),
        ];
    }

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    private static byte[] Concat(byte[] a, byte[] b) => [.. a, .. b];

    /// <summary>A notebook with what Jupyter writes: 4.5 ids, parameters and injected cells, every output type,
    /// list-of-lines sources, attachments, widget metadata, raw and markdown cells.</summary>
    private const string Notebook = """
{
 "cells": [
  {"cell_type": "markdown", "id": "a1", "metadata": {}, "source": ["# Title\n", "text"], "attachments": {"x.png": {"image/png": "iVBOR"}}},
  {"cell_type": "code", "execution_count": null, "id": "p1", "metadata": {"tags": ["parameters"]}, "outputs": [], "source": ["a = 1\n", "b = 'x'"]},
  {"cell_type": "code", "execution_count": 1, "id": "c1", "metadata": {"collapsed": false, "scrolled": true, "execution": {"iopub.execute_input": "2024-01-01T00:00:00.000001Z"}},
   "outputs": [
    {"name": "stdout", "output_type": "stream", "text": ["line 1\n", "line 2\n"]},
    {"data": {"text/plain": ["2"], "text/html": ["<b>2</b>"], "application/json": {"a": [1, 2.5, null, true]}}, "execution_count": 1, "metadata": {}, "output_type": "execute_result"},
    {"data": {"image/png": "iVBORw0KGgo=\n", "text/plain": ["<Figure>"]}, "metadata": {"image/png": {"width": 10}}, "output_type": "display_data"},
    {"ename": "ValueError", "evalue": "bad", "output_type": "error", "traceback": ["\u001b[0;31mValueError\u001b[0m"]}
   ],
   "source": "print(a)\nb"},
  {"cell_type": "raw", "id": "r1", "metadata": {"format": "text/x-python"}, "source": "raw"}
 ],
 "metadata": {
  "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
  "language_info": {"codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py", "name": "python", "version": "3.11.2"},
  "papermill": {"parameters": {"a": 2}, "status": "completed"},
  "widgets": {"application/vnd.jupyter.widget-state+json": {"state": {}, "version_major": 2, "version_minor": 0}}
 },
 "nbformat": 4,
 "nbformat_minor": 5
}
""";
}
