using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;

namespace JupyterKernels.Tests.Gateway;

public sealed record FakeRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body);

public sealed record FakeResponse(int Status, string? ContentType, byte[] Body)
{
    public static FakeResponse Json(int status, string json) => new(status, "application/json", Encoding.UTF8.GetBytes(json));
    public static FakeResponse Text(int status, string contentType, string text) => new(status, contentType, Encoding.UTF8.GetBytes(text));
    /// <summary>Accept the request and never answer.</summary>
    public static readonly FakeResponse Hang = new(0, null, Array.Empty<byte>());
    /// <summary>Upgrade to a WebSocket (with this subprotocol, or none) and run the handler.</summary>
    public Func<WebSocket, Task>? WebSocket { get; init; }
    public string? SubProtocol { get; init; }
}

/// <summary>A tiny HTTP/1.1 + WebSocket server on 127.0.0.1 for error cases a real server will not produce.</summary>
public sealed class FakeHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<FakeRequest, FakeResponse> _handler;
    private readonly CancellationTokenSource _cts = new();
    private readonly List<TcpClient> _clients = new();
    private readonly Task _accept;

    public FakeHttpServer(Func<FakeRequest, FakeResponse> handler)
    {
        _handler = handler;
        _listener.Start();
        _accept = Task.Run(AcceptLoopAsync);
    }

    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/";
    public List<FakeRequest> Requests { get; } = new();

    private async Task AcceptLoopAsync()
    {
        while (!_cts.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_cts.Token); }
            catch { return; }
            lock (_clients) _clients.Add(client);
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        try
        {
            var stream = client.GetStream();
            var head = new List<byte>();
            var one = new byte[1];
            while (!EndsWithBlankLine(head))
            {
                if (await stream.ReadAsync(one, _cts.Token) == 0) return;
                head.Add(one[0]);
            }
            var lines = Encoding.ASCII.GetString(head.ToArray()).Split("\r\n");
            var first = lines[0].Split(' ');
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var l in lines.Skip(1))
            {
                var i = l.IndexOf(':');
                if (i > 0) headers[l[..i].Trim()] = l[(i + 1)..].Trim();
            }
            var body = Array.Empty<byte>();
            if (headers.TryGetValue("Content-Length", out var cl) && int.TryParse(cl, out var n) && n > 0)
            {
                body = new byte[n];
                await stream.ReadExactlyAsync(body, _cts.Token);
            }
            var request = new FakeRequest(first[0], first[1], headers, body);
            lock (Requests) Requests.Add(request);
            var response = _handler(request);
            if (response.Status == 0)
            {
                await Task.Delay(Timeout.Infinite, _cts.Token);
                return;
            }
            if (response.WebSocket is not null)
            {
                var key = headers["Sec-WebSocket-Key"];
                var accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
                var reply = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + accept + "\r\n"
                            + (response.SubProtocol is null ? "" : "Sec-WebSocket-Protocol: " + response.SubProtocol + "\r\n") + "\r\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(reply), _cts.Token);
                using var ws = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true, SubProtocol = response.SubProtocol });
                await response.WebSocket(ws);
                return;
            }
            var reason = ((HttpStatusCode)response.Status).ToString();
            var sb = new StringBuilder($"HTTP/1.1 {response.Status} {reason}\r\nConnection: close\r\nContent-Length: {response.Body.Length}\r\n");
            if (response.ContentType is not null) sb.Append($"Content-Type: {response.ContentType}\r\n");
            sb.Append("\r\n");
            await stream.WriteAsync(Encoding.ASCII.GetBytes(sb.ToString()), _cts.Token);
            await stream.WriteAsync(response.Body, _cts.Token);
            await stream.FlushAsync(_cts.Token);
        }
        catch { /* test server: connection faults are the client's business */ }
        finally
        {
            client.Dispose();
        }
    }

    private static bool EndsWithBlankLine(List<byte> b)
        => b.Count >= 4 && b[^4] == '\r' && b[^3] == '\n' && b[^2] == '\r' && b[^1] == '\n';

    public async ValueTask DisposeAsync()
    {
        _cts.Cancel();
        _listener.Stop();
        lock (_clients) foreach (var c in _clients) c.Dispose();
        try { await _accept.WaitAsync(TimeSpan.FromSeconds(5)); } catch { }
        _cts.Dispose();
    }
}
