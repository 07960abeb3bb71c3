using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace JupyterKernels.Bench.Benchmarks;

/// <summary>
/// The floor for a .NET client: a standalone .NET 10 <see cref="ClientWebSocket"/> over a
/// <see cref="SocketsHttpHandler"/> whose ConnectCallback returns a NetworkStream that re-arms TCP_QUICKACK after
/// every read with data (Linux), and a minimal loop on /api/kernels/{id}/channels in the v1 binary framing: send an
/// unsigned execute_request, read until the execute_reply and the IOPub idle whose parent is it (found by byte
/// search, no JSON parsing, no queues, the caller awaits the socket directly). Nothing of JupyterKernels is used.
/// </summary>
internal sealed class BareDotNetWebSocket : IAsyncDisposable
{
    private const string V1 = "v1.kernel.websocket.jupyter.org";
    private readonly SocketsHttpHandler _handler;
    private readonly HttpMessageInvoker _invoker;
    private readonly ClientWebSocket _socket;
    private readonly string _session = Guid.NewGuid().ToString("N");
    private readonly byte[] _buffer = new byte[256 * 1024];

    private BareDotNetWebSocket(SocketsHttpHandler handler, ClientWebSocket socket)
    {
        _handler = handler;
        _invoker = new HttpMessageInvoker(handler, disposeHandler: false);
        _socket = socket;
    }

    /// <summary>Connects and proves the channels ready (a kernel_info reply and its idle), retrying on a fresh
    /// WebSocket while the server is still subscribing to the kernel's IOPub.</summary>
    public static async Task<BareDotNetWebSocket> ConnectAsync(string url, string token, string kernelId, string? caPath, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var bare = await OpenAsync(url, token, kernelId, caPath, ct);
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
            attempt.CancelAfter(TimeSpan.FromSeconds(2));
            try
            {
                await bare.RoundTripAsync("kernel_info_request", "{}", "kernel_info_reply", attempt.Token);
                return bare;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested && deadline.Elapsed < TimeSpan.FromSeconds(60))
            {
                await bare.DisposeAsync(); // a cancelled receive aborts a ClientWebSocket: try again on a fresh one
            }
            catch
            {
                await bare.DisposeAsync();
                throw;
            }
        }
    }

    private static async Task<BareDotNetWebSocket> OpenAsync(string url, string token, string kernelId, string? caPath, CancellationToken ct)
    {
        var handler = new SocketsHttpHandler { UseCookies = false };
        if (OperatingSystem.IsLinux())
        {
            handler.ConnectCallback = async (context, token) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, token);
                    return new QuickAckNetworkStream(socket);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }
        if (caPath is not null)
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(caPath);
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (errors == SslPolicyErrors.None) return true;
                if ((errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0 || certificate is null) return false;
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(roots);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(certificate as X509Certificate2 ?? new X509Certificate2(certificate));
            };
        }
        var ws = new ClientWebSocket();
        ws.Options.SetRequestHeader("Authorization", "token " + token);
        ws.Options.AddSubProtocol(V1);
        var bare = new BareDotNetWebSocket(handler, ws);
        try
        {
            var wsUrl = url.Replace("http://", "ws://").Replace("https://", "wss://") + $"api/kernels/{kernelId}/channels?session_id={bare._session}";
            await ws.ConnectAsync(new Uri(wsUrl), bare._invoker, ct);
            if (ws.SubProtocol != V1) throw new InvalidOperationException("the server did not select the v1 framing");
            return bare;
        }
        catch
        {
            await bare.DisposeAsync();
            throw;
        }
    }

    private const string ExecuteContent = "{\"code\":\"1\",\"silent\":false,\"store_history\":true,\"user_expressions\":{},\"allow_stdin\":false,\"stop_on_error\":true}";

    /// <summary>Executes `1`: execute_request out, until execute_reply and idle in.</summary>
    public Task ExecuteOneAsync(CancellationToken ct) => RoundTripAsync("execute_request", ExecuteContent, "execute_reply", ct);

    private async Task RoundTripAsync(string msgType, string content, string replyType, CancellationToken ct)
    {
        var msgId = Guid.NewGuid().ToString("N");
        var header = $"{{\"msg_id\":\"{msgId}\",\"session\":\"{_session}\",\"username\":\"bench\",\"msg_type\":\"{msgType}\",\"version\":\"5.3\",\"date\":\"2024-01-01T00:00:00.000000Z\"}}";
        await _socket.SendAsync(Pack("shell", header, "{}", "{}", content), WebSocketMessageType.Binary, true, ct);
        var id = Encoding.ASCII.GetBytes(msgId);
        var reply = Encoding.ASCII.GetBytes($"\"{replyType}\"");
        bool gotReply = false, gotIdle = false;
        while (!(gotReply && gotIdle))
        {
            int n = 0;
            ValueWebSocketReceiveResult r;
            do
            {
                r = await _socket.ReceiveAsync(_buffer.AsMemory(n), ct);
                if (r.MessageType == WebSocketMessageType.Close) throw new WebSocketException("closed by the server");
                n += r.Count;
            } while (!r.EndOfMessage);
            var frame = _buffer.AsSpan(0, n);
            // v1: uint64 count, then offsets: [channel, header, parent_header, metadata, content, ...].
            int headerStart = (int)BinaryPrimitives.ReadUInt64LittleEndian(frame[16..]);
            int parentStart = (int)BinaryPrimitives.ReadUInt64LittleEndian(frame[24..]);
            int parentEnd = (int)BinaryPrimitives.ReadUInt64LittleEndian(frame[32..]);
            if (frame[parentStart..parentEnd].IndexOf(id) < 0) continue;
            var messageHeader = frame[headerStart..parentStart];
            if (messageHeader.IndexOf(reply) >= 0) gotReply = true;
            else if (messageHeader.IndexOf("\"status\""u8) >= 0 && frame[parentEnd..].IndexOf("\"idle\""u8) >= 0) gotIdle = true;
        }
    }

    private static byte[] Pack(params string[] parts)
    {
        var bytes = parts.Select(Encoding.UTF8.GetBytes).ToArray();
        int n = bytes.Length + 1, offset = 8 * (n + 1);
        var frame = new byte[offset + bytes.Sum(b => b.Length)];
        BinaryPrimitives.WriteUInt64LittleEndian(frame, (ulong)n);
        for (int i = 0; i < bytes.Length; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(frame.AsSpan(8 * (i + 1)), (ulong)offset);
            bytes[i].CopyTo(frame, offset);
            offset += bytes[i].Length;
        }
        BinaryPrimitives.WriteUInt64LittleEndian(frame.AsSpan(8 * n), (ulong)offset);
        return frame;
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try { await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", cts.Token); } catch { /* best effort */ }
        }
        _socket.Dispose();
        _invoker.Dispose();
        _handler.Dispose();
    }

    /// <summary>The issue's quick-ACK stream: a NetworkStream (the .NET socket engine) re-arming after reads with data.</summary>
    private sealed class QuickAckNetworkStream(Socket socket) : NetworkStream(socket, ownsSocket: true)
    {
        private static readonly byte[] On = BitConverter.GetBytes(1);

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            => Rearm(await base.ReadAsync(buffer, cancellationToken));

        public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => Rearm(await base.ReadAsync(buffer, offset, count, cancellationToken));

        public override int Read(Span<byte> buffer) => Rearm(base.Read(buffer));

        public override int Read(byte[] buffer, int offset, int count) => Rearm(base.Read(buffer, offset, count));

        private int Rearm(int read)
        {
            if (read > 0) Socket.SetRawSocketOption(6 /* IPPROTO_TCP */, 12 /* TCP_QUICKACK */, On);
            return read;
        }
    }
}
