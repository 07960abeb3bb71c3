using System.Net;
using System.Net.Sockets;
using JupyterKernels.Connections;
using JupyterKernels.Messaging;
using JupyterKernels.Providers.Gateway;
using JupyterKernels.Transport.Tcp;
using static JupyterKernels.Tests.Gateway.GatewayTestUtil;

namespace JupyterKernels.Tests.Gateway;

/// <summary>
/// The TCP_QUICKACK re-arm under the gateway HTTP/WebSocket stack: the stream passes bytes through unchanged on every
/// read path and re-arms only after reads that returned data; the handler uses it on Linux and keeps its own default
/// connect elsewhere; connect failures surface as before. Its speed effect is measured in bench/ (remote), not here.
/// </summary>
public sealed class QuickAckStreamTests
{
    private static async Task<(Socket Server, QuickAckSocketStream Client, QuickAckConnector Connector)> PairAsync(CancellationToken ct)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var connector = new QuickAckConnector();
        var accept = listener.AcceptSocketAsync(ct).AsTask();
        var endpoint = (IPEndPoint)listener.LocalEndpoint;
        var stream = await connector.ConnectAsync(new DnsEndPoint("127.0.0.1", endpoint.Port), ct);
        return (await accept, Assert.IsType<QuickAckSocketStream>(stream), connector);
    }

    [Fact(Timeout = 15_000)]
    public async Task Every_read_path_passes_the_bytes_through_and_rearms_only_after_data()
    {
        if (!QuickAckConnector.IsSupported)
        {
            Assert.False(OperatingSystem.IsLinux());
            return; // elsewhere the option does not exist and the stack never creates this stream (next test)
        }
        var ct = Timeout(10);
        var (server, client, connector) = await PairAsync(ct);
        using var _ = server;
        await using var __ = client;
        Assert.Equal(1, connector.Connections);
        Assert.True(client.Socket.NoDelay);
        long armed = connector.Rearms; // once at connect

        var payload = Enumerable.Range(0, 200).Select(i => (byte)i).ToArray();
        var received = new List<byte>();
        server.Send(payload.AsSpan(0, 50));
        var buffer = new byte[64];
        received.AddRange(buffer.AsSpan(0, await ReadAtLeastOneAsync(() => client.ReadAsync(buffer.AsMemory(), ct).AsTask())).ToArray());
        while (received.Count < 50) received.AddRange(buffer.AsSpan(0, await client.ReadAsync(buffer.AsMemory(), ct)).ToArray());
        Assert.True(connector.Rearms > armed);

        server.Send(payload.AsSpan(50, 50));
        while (received.Count < 100) received.AddRange(buffer.AsSpan(0, await client.ReadAsync(buffer, 0, buffer.Length, ct)).ToArray());
        server.Send(payload.AsSpan(100, 50));
        while (received.Count < 150) received.AddRange(buffer.AsSpan(0, client.Read(buffer.AsSpan())).ToArray());
        server.Send(payload.AsSpan(150, 50));
        while (received.Count < 199) received.AddRange(buffer.AsSpan(0, client.Read(buffer, 0, 1)).ToArray());
        received.Add((byte)client.ReadByte());
        Assert.Equal(payload, received.ToArray());
        long afterData = connector.Rearms;
        Assert.True(afterData >= armed + 5, $"re-armed {afterData - armed} times over at least 5 reads with data");

        // End of stream: reads return 0 / -1 and re-arm nothing.
        server.Shutdown(SocketShutdown.Send);
        Assert.Equal(0, await client.ReadAsync(buffer.AsMemory(), ct));
        Assert.Equal(-1, client.ReadByte());
        Assert.Equal(afterData, connector.Rearms);

        // Writes are untouched.
        await client.WriteAsync(payload.AsMemory(0, 10), ct);
        var echo = new byte[10];
        int got = 0;
        while (got < 10) got += server.Receive(echo.AsSpan(got));
        Assert.Equal(payload.AsSpan(0, 10).ToArray(), echo);
    }

    [Fact(Timeout = 15_000)]
    public async Task A_read_that_waits_resumes_on_the_connections_reader_thread_not_a_pool_worker()
    {
        if (!QuickAckConnector.IsSupported) return; // the stack never creates this stream there (last test)
        var ct = Timeout(10);
        var (server, client, _) = await PairAsync(ct);
        using var _s = server;
        await using var _c = client;
        var buffer = new byte[16];
        for (int i = 0; i < 3; i++)
        {
            var read = client.ReadAsync(buffer.AsMemory(), ct).ConfigureAwait(false).GetAwaiter();
            Assert.False(read.IsCompleted); // nothing sent yet: this read has to wait
            // The continuation is registered before the data is sent, so where it runs is where the stream resumed.
            var resumedOn = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            read.UnsafeOnCompleted(() => resumedOn.SetResult(Thread.CurrentThread.IsThreadPoolThread));
            server.Send(new[] { (byte)i });
            // The thread woken by the socket ran it, as on the ZeroMQ path: no thread-pool hand-off.
            Assert.False(await resumedOn.Task.WaitAsync(ct), "the read resumed on a thread-pool worker");
            Assert.Equal(1, read.GetResult());
            Assert.Equal((byte)i, buffer[0]);
        }
        // A zero-byte read (the HTTP stack's read-ahead on an idle connection) waits for data, as on a NetworkStream,
        // and consumes none of it.
        var zero = client.ReadAsync(Memory<byte>.Empty, ct);
        Assert.False(zero.IsCompleted);
        server.Send(new byte[] { 42 });
        Assert.Equal(0, await zero);
        Assert.Equal(1, await client.ReadAsync(buffer.AsMemory(), ct));
        Assert.Equal(42, buffer[0]);
    }

    [Fact(Timeout = 15_000)]
    public async Task Cancelling_or_disposing_under_a_waiting_read_ends_it_and_the_connection()
    {
        if (!QuickAckConnector.IsSupported) return;
        var ct = Timeout(10);
        var (server, client, _) = await PairAsync(ct);
        using var _s = server;
        var buffer = new byte[16];
        using (var cancel = new CancellationTokenSource())
        {
            var read = client.ReadAsync(buffer.AsMemory(), cancel.Token).AsTask();
            await Task.Delay(20, ct);
            cancel.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read);
        }
        // The connection is closed (as the HTTP stack and the WebSocket treat a cancelled operation): the peer sees EOF.
        var probe = new byte[1];
        server.ReceiveTimeout = 5000;
        Assert.Equal(0, server.Receive(probe));
        await Assert.ThrowsAsync<IOException>(async () => await client.ReadAsync(buffer.AsMemory(), ct));

        var (server2, client2, _) = await PairAsync(ct);
        using var _s2 = server2;
        var pending = client2.ReadAsync(buffer.AsMemory(), ct).AsTask();
        await Task.Delay(20, ct);
        await client2.DisposeAsync();
        await Assert.ThrowsAsync<IOException>(() => pending);
    }

    [Fact(Timeout = 15_000)]
    public async Task A_peer_reset_surfaces_as_IOException_as_from_a_NetworkStream()
    {
        if (!QuickAckConnector.IsSupported) return;
        var ct = Timeout(10);
        var (server, client, _) = await PairAsync(ct);
        await using var _c = client;
        var pending = client.ReadAsync(new byte[16].AsMemory(), ct).AsTask();
        server.LingerState = new LingerOption(true, 0); // close with RST
        server.Close();
        var error = await Assert.ThrowsAsync<IOException>(() => pending);
        Assert.IsType<SocketException>(error.InnerException);
    }

    private static async Task<int> ReadAtLeastOneAsync(Func<Task<int>> read)
    {
        int n = await read();
        Assert.True(n > 0);
        return n;
    }

    [Fact(Timeout = 15_000)]
    public async Task A_refused_or_cancelled_connect_throws_and_leaves_no_stream()
    {
        var connector = new QuickAckConnector();
        var context = new DnsEndPoint("127.0.0.1", JupyterServer.FreePort());
        var refused = await Assert.ThrowsAsync<SocketException>(() => connector.ConnectAsync(context, Timeout(10)).AsTask());
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connector.ConnectAsync(context, cancelled.Token).AsTask());
        Assert.Equal(0, connector.Connections);
    }

    [Fact]
    public void The_gateway_stack_installs_the_connector_on_Linux_only()
    {
        using var client = new GatewayClient("srv", Options("http://127.0.0.1:1/", "t"));
        if (OperatingSystem.IsLinux())
            Assert.NotNull(client.Http.QuickAck);
        else
            Assert.Null(client.Http.QuickAck); // the handler's default connect, exactly as before
    }
}

/// <summary>REST and the kernel WebSocket on a real jupyter-server (plain HTTP) through the quick-ACK sockets.</summary>
[Trait("Category", "Integration")] // starts processes or servers
[Collection("jupyter-server")]
public sealed class QuickAckServerTests(JupyterServerFixture fixture)
{
    [Theory(Timeout = 90_000)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Rest_and_the_kernel_websocket_work_through_the_connector(bool offerV1)
    {
        await using var provider = new GatewayKernelProvider("srv", Options(fixture.Server.Url, fixture.Server.Token));
        await QuickAckChecks.RestAndWebSocketAsync(provider, offerV1, Timeout(80));
    }
}

internal static class QuickAckChecks
{
    /// <summary>Kernelspecs (REST), start, then several executes over the WebSocket; on Linux every connection
    /// went through the connector and reads re-armed the option.</summary>
    public static async Task RestAndWebSocketAsync(GatewayKernelProvider provider, bool offerV1, CancellationToken ct)
    {
        var specs = await provider.GetKernelSpecsAsync(true, ct);
        Assert.Contains(specs, s => s.ProviderSpecName == "python3");
        var record = await provider.StartKernelAsync(StartRequest(provider.Name + "/python3"), ct);
        try
        {
            await using var channels = await provider.ConnectWebSocketAsync(record, offerV1, ct);
            Assert.Equal(offerV1, channels.UsesV1Protocol);
            var factory = new MessageFactory();
            await ExecuteRoundTrip.KernelInfoAsync(channels, factory, ct);
            long before = provider.Client.Http.QuickAck?.Rearms ?? 0;
            for (int i = 0; i < 5; i++)
            {
                var result = await ExecuteRoundTrip.RunAsync(channels, factory, $"print({i}*7)", ct);
                Assert.Equal("ok", result.Status);
                Assert.Equal($"{i * 7}\n", result.Stdout);
            }
            var error = await ExecuteRoundTrip.RunAsync(channels, factory, "1/0", ct);
            Assert.Equal("ZeroDivisionError", error.ErrorName);
            var quickAck = provider.Client.Http.QuickAck;
            if (OperatingSystem.IsLinux())
            {
                Assert.NotNull(quickAck);
                // REST and the upgrade share the pool (the WebSocket may take over the REST connection): at least one.
                Assert.True(quickAck!.Connections >= 1, $"{quickAck.Connections} connections went through the connector");
                // 6 executes, each at least 5 messages read: at least one re-arm per execute.
                Assert.True(quickAck.Rearms - before >= 6, $"{quickAck.Rearms - before} re-arms over 6 executes");
                Assert.False(await ResumesOnPoolThreadAsync(channels, factory, ct),
                    "a message reached the reader of Incoming through a thread-pool worker, not on the connection's reader thread");
            }
            else Assert.Null(quickAck);
        }
        finally { await provider.ShutdownAsync(record, false, CancellationToken.None); }
    }

    /// <summary>Where a waiting reader of Incoming resumes when a message arrives: the continuation is registered
    /// before the request goes out, so the thread that runs it is the one that delivered the message.</summary>
    private static async Task<bool> ResumesOnPoolThreadAsync(WebSocketKernelChannels channels, MessageFactory factory, CancellationToken ct)
    {
        for (int attempt = 0; ; attempt++)
        {
            while (channels.Incoming.TryRead(out _)) { }
            var next = channels.Incoming.ReadAsync(ct).ConfigureAwait(false).GetAwaiter();
            if (next.IsCompleted)
            {
                // A late message of the executes above slipped in: drain and try again.
                Assert.True(attempt < 20, "Incoming never stayed empty");
                next.GetResult();
                await Task.Delay(50, ct);
                continue;
            }
            var onPool = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            next.UnsafeOnCompleted(() => onPool.SetResult(Thread.CurrentThread.IsThreadPoolThread));
            var request = factory.Create("kernel_info_request", RequestContent.Empty);
            await channels.SendAsync(KernelChannel.Shell, request, ct);
            var result = await onPool.Task.WaitAsync(ct);
            next.GetResult();
            return result;
        }
    }
}
