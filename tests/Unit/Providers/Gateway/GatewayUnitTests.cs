using System.Buffers.Binary;
using System.Text;
using JupyterKernels.Messaging;
using JupyterKernels.Providers;
using JupyterKernels.Providers.Gateway;
using JupyterKernels.Service;
using static JupyterKernels.Tests.Gateway.GatewayTestUtil;
using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.Gateway;

public sealed class GatewayFramingTests
{
    private static JupyterMessage Sample(params byte[][] buffers)
    {
        var f = new MessageFactory("sess", "me");
        var parent = f.Create("execute_request", RequestContent.Execute("x")).Header;
        return f.Create("stream", RequestContent.Build(w => { w.WriteString("name", "stdout"); w.WriteString("text", "héllo\n"); }), parent) is var m
            ? new JupyterMessage { Header = m.Header, ParentHeader = m.ParentHeader, Content = m.Content, Buffers = buffers.Select(b => (ReadOnlyMemory<byte>)b).ToArray() }
            : throw new InvalidOperationException();
    }

    private static void AssertSame(JupyterMessage a, JupyterMessage b)
    {
        Assert.Equal(a.Header, b.Header);
        Assert.Equal(a.ParentHeader, b.ParentHeader);
        Assert.Equal(a.Content.GetRawText(), b.Content.GetRawText());
        Assert.Equal(a.Buffers.Count, b.Buffers.Count);
        for (int i = 0; i < a.Buffers.Count; i++) Assert.Equal(a.Buffers[i].ToArray(), b.Buffers[i].ToArray());
    }

    [Fact]
    public void V1_RoundTrip_WithBuffers_MatchesServerLayout()
    {
        var m = Sample([1, 2, 3], []);
        var frame = WebSocketV1Framing.Serialize(KernelChannel.IOPub, m);
        // jupyter_server: offset_number = parts + 1; first offset = 8 * (offset_number + 1); last = total length.
        var n = (int)BinaryPrimitives.ReadUInt64LittleEndian(frame);
        Assert.Equal(5 + 2 + 1, n);
        Assert.Equal((ulong)(8 * (n + 1)), BinaryPrimitives.ReadUInt64LittleEndian(frame.AsSpan(8)));
        Assert.Equal((ulong)frame.Length, BinaryPrimitives.ReadUInt64LittleEndian(frame.AsSpan(8 * n)));
        Assert.Equal("iopub", Encoding.UTF8.GetString(frame, 8 * (n + 1), 5));
        var back = WebSocketV1Framing.Deserialize(frame);
        Assert.Null(back.Error);
        Assert.Equal(KernelChannel.IOPub, back.Channel);
        AssertSame(m, back.Message!);
    }

    [Theory]
    [InlineData("short")]
    [InlineData("count-too-small")]
    [InlineData("count-huge")]
    [InlineData("offset-past-end")]
    [InlineData("out-of-order")]
    [InlineData("first-inside-table")]
    [InlineData("bad-channel")]
    [InlineData("bad-json")]
    public void V1_BadFrames_AreRejected_NotThrown(string kind)
    {
        var frame = WebSocketV1Framing.Serialize(KernelChannel.Shell, Sample());
        switch (kind)
        {
            case "short": frame = frame[..5]; break;
            case "count-too-small": BinaryPrimitives.WriteUInt64LittleEndian(frame, 3); break;
            case "count-huge": BinaryPrimitives.WriteUInt64LittleEndian(frame, ulong.MaxValue); break;
            case "offset-past-end": BinaryPrimitives.WriteUInt64LittleEndian(frame.AsSpan(24), (ulong)frame.Length + 1); break;
            case "out-of-order": BinaryPrimitives.WriteUInt64LittleEndian(frame.AsSpan(24), 60); break;
            case "first-inside-table": BinaryPrimitives.WriteUInt64LittleEndian(frame.AsSpan(8), 8); break;
            case "bad-channel": frame = WebSocketV1Framing.Pack([Encoding.UTF8.GetBytes("nope"), "{}"u8.ToArray(), "{}"u8.ToArray(), "{}"u8.ToArray(), "{}"u8.ToArray()]); break;
            case "bad-json": frame = WebSocketV1Framing.Pack([Encoding.UTF8.GetBytes("shell"), "{\"msg_id\": "u8.ToArray(), "{}"u8.ToArray(), "{}"u8.ToArray(), "{}"u8.ToArray()]); break;
        }
        var result = WebSocketV1Framing.Deserialize(frame);
        Assert.Null(result.Message);
        Assert.False(string.IsNullOrEmpty(result.Error));
    }

    [Fact]
    public void Legacy_Text_RoundTrip()
    {
        var m = Sample();
        var (frame, binary) = WebSocketLegacyFraming.Serialize(KernelChannel.Shell, m);
        Assert.False(binary);
        using (var doc = System.Text.Json.JsonDocument.Parse(frame))
        {
            Assert.Equal("shell", doc.RootElement.GetProperty("channel").GetString());
            Assert.Equal(0, doc.RootElement.GetProperty("buffers").GetArrayLength());
        }
        var back = WebSocketLegacyFraming.DeserializeText(frame);
        Assert.Equal(KernelChannel.Shell, back.Channel);
        AssertSame(m, back.Message!);
    }

    [Fact]
    public void Legacy_Binary_RoundTrip_MatchesServerLayout()
    {
        var m = Sample([9, 8, 7, 6], [5]);
        var (frame, binary) = WebSocketLegacyFraming.Serialize(KernelChannel.Control, m);
        Assert.True(binary);
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32BigEndian(frame));
        Assert.Equal(16u, BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(4))); // 4 * (nbufs + 1)
        var back = WebSocketLegacyFraming.DeserializeBinary(frame);
        Assert.Equal(KernelChannel.Control, back.Channel);
        AssertSame(m, back.Message!);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(8), 1_000_000);
        Assert.Null(WebSocketLegacyFraming.DeserializeBinary(frame).Message);
        Assert.Null(WebSocketLegacyFraming.DeserializeText("[1,2]"u8.ToArray()).Message);
        Assert.Null(WebSocketLegacyFraming.DeserializeText("{\"channel\":\"iopub\",\"header\":{}}"u8.ToArray()).Message);
    }

    [Fact]
    public void Legacy_MissingChannel_MeansShell()
    {
        var r = WebSocketLegacyFraming.DeserializeText("{\"header\":{\"msg_id\":\"a\",\"msg_type\":\"x\",\"session\":\"s\"},\"parent_header\":{},\"metadata\":{},\"content\":{}}"u8.ToArray());
        Assert.Equal(KernelChannel.Shell, r.Channel);
        Assert.Null(r.Message!.ParentHeader);
    }
}

public sealed class GatewayOptionsTests
{
    [Fact]
    public void FromEnvironment_ReadsGatewayClientVariables()
    {
        var env = new Dictionary<string, string>
        {
            ["JUPYTER_GATEWAY_URL"] = "https://gw.example:8443/base",
            ["JUPYTER_GATEWAY_WS_URL"] = "wss://gw.example:8443/base",
            ["JUPYTER_GATEWAY_AUTH_TOKEN"] = "s3cret-token",
            ["JUPYTER_GATEWAY_AUTH_SCHEME"] = "Bearer",
            ["JUPYTER_GATEWAY_HEADERS"] = "{\"X-Tenant\": \"a\", \"X-Num\": 3}",
            ["JUPYTER_GATEWAY_REQUEST_TIMEOUT"] = "60.5",
            ["JUPYTER_GATEWAY_CONNECT_TIMEOUT"] = "10",
            ["JUPYTER_GATEWAY_LAUNCH_TIMEOUT_PAD"] = "3",
            ["JUPYTER_GATEWAY_VALIDATE_CERT"] = "no",
            ["JUPYTER_GATEWAY_CA_CERTS"] = "/ca.pem",
            ["JUPYTER_GATEWAY_CLIENT_CERT"] = "/c.pem",
            ["JUPYTER_GATEWAY_CLIENT_KEY"] = "/k.pem",
            ["JUPYTER_GATEWAY_HTTP_USER"] = "alice",
            ["JUPYTER_GATEWAY_HTTP_PWD"] = "pw",
            ["JUPYTER_GATEWAY_ENV_WHITELIST"] = "A, B",
            ["JUPYTER_GATEWAY_KERNELS_ENDPOINT"] = "/k/api/kernels",
            ["JUPYTER_GATEWAY_RETRY_MAX"] = "7",
            ["KERNEL_LAUNCH_TIMEOUT"] = "50",
        };
        var o = GatewayOptions.FromEnvironment(n => env.GetValueOrDefault(n))!;
        Assert.Equal("https://gw.example:8443/base/", o.BaseUrl.ToString());
        Assert.Equal("wss://gw.example:8443/base", o.EffectiveWebSocketUrl.ToString());
        Assert.Equal("s3cret-token", o.Token);
        Assert.Equal("Bearer", o.AuthScheme);
        Assert.Equal("a", o.Headers["X-Tenant"]);
        Assert.Equal("3", o.Headers["X-Num"]);
        Assert.Equal(TimeSpan.FromSeconds(60.5), o.RequestTimeout);
        Assert.Equal(TimeSpan.FromSeconds(10), o.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(3), o.LaunchTimeoutPad);
        Assert.False(o.ValidateCertificate);
        Assert.Equal(("/ca.pem", "/c.pem", "/k.pem"), (o.CaCertsPath, o.ClientCertPath, o.ClientKeyPath));
        Assert.Equal(("alice", "pw"), (o.HttpUser, o.HttpPassword));
        Assert.Equal(["A", "B"], o.AllowedEnvs);
        Assert.Equal("/k/api/kernels", o.KernelsEndpoint);
        Assert.Equal(7, o.RetryMax);
        Assert.Equal(TimeSpan.FromSeconds(50), o.LaunchTimeout);
        Assert.DoesNotContain("s3cret-token", o.ToString());
        Assert.DoesNotContain("pw", o.ToString());
        // ALLOWED_ENVS wins over the old name; no URL → null.
        env["JUPYTER_GATEWAY_ALLOWED_ENVS"] = "C";
        Assert.Equal(["C"], GatewayOptions.FromEnvironment(n => env.GetValueOrDefault(n))!.AllowedEnvs);
        Assert.Null(GatewayOptions.FromEnvironment(_ => null));
        Assert.Equal("ws://h:1/", GatewayOptions.FromEnvironment(n => n == "JUPYTER_GATEWAY_URL" ? "http://h:1" : null)!.EffectiveWebSocketUrl.ToString());
    }

    [Theory]
    [InlineData("JUPYTER_GATEWAY_HEADERS", "{not json secretvalue")]
    [InlineData("JUPYTER_GATEWAY_REQUEST_TIMEOUT", "soon")]
    [InlineData("JUPYTER_GATEWAY_WS_URL", "http://x/")]
    [InlineData("JUPYTER_GATEWAY_RETRY_MAX", "-1")]
    public void FromEnvironment_BadValues_AreProviderInvalid(string name, string value)
    {
        var e = Assert.Throws<KernelException>(() => GatewayOptions.FromEnvironment(n => n == "JUPYTER_GATEWAY_URL" ? "http://h/" : n == name ? value : null));
        Assert.Equal(ErrorIds.ProviderInvalid, e.ErrorId);
        Assert.Contains(name, e.Message);
        Assert.DoesNotContain("secretvalue", e.Message);
    }

    [Fact]
    public void FromRegistration_ReadsTokenFromNamedVariable()
    {
        var o = GatewayOptions.FromRegistration(new ProviderRegistration { Name = "a", Url = "http://h:8888", TokenEnvironmentVariable = "MY_TOK", AuthScheme = "Bearer" },
            n => n == "MY_TOK" ? "from-env" : null);
        Assert.Equal("from-env", o.Token);
        Assert.Equal("Bearer", o.AuthScheme);
        Assert.Equal("http://h:8888/", o.BaseUrl.ToString());
    }

    [Fact]
    public void ChannelsUrl_HasSessionId_AndTokenOnlyWhenAsked()
    {
        using var plain = new GatewayClient("a", new GatewayOptions { BaseUrl = new Uri("http://h:8888/base/"), Token = "tk" });
        var url = plain.ChannelsUrl("k-1", "s-1").ToString();
        Assert.Equal("ws://h:8888/base/api/kernels/k-1/channels?session_id=s-1", url);
        using var query = new GatewayClient("a", new GatewayOptions { BaseUrl = new Uri("https://h/"), Token = "tk", TokenInWebSocketQuery = true });
        Assert.Equal("wss://h/api/kernels/k-1/channels?session_id=s-1&token=tk", query.ChannelsUrl("k-1", "s-1").ToString());
        Assert.Equal("https://h/api/kernels/k-1", query.KernelUrl("k-1").ToString());
    }
}

public sealed class KernelProvidersTests
{
    [Fact]
    public async Task Register_Persists_WithoutToken_UserOnly_AndReloads()
    {
        using var temp = new TempDirectory("jk-prov");
        var dir = temp.Path;
        await using (var registry = await KernelProviders.LoadAsync(new FakeLocalProvider(), GatewayProviderFactory.Instance, dir, Timeout(5)))
        {
            var info = await registry.RegisterAsync(new ProviderRegistration
            {
                Name = "gw-1", Url = "http://127.0.0.1:1/", Token = "inmemory-SECRET", TokenEnvironmentVariable = "GW_TOKEN",
                Headers = new Dictionary<string, string> { ["X-Tenant"] = "t", ["Authorization"] = "token hdr-SECRET" },
            }, Timeout(5));
            Assert.Equal(" (gw-1)", info.DisplayNameSuffix);
            Assert.True(info.HasCredential);
            Assert.Equal(["local", "gw-1"], registry.List().Select(p => p.Name));
        }
        var path = Path.Combine(dir, KernelProviders.FileName);
        var text = await File.ReadAllTextAsync(path);
        Assert.DoesNotContain("SECRET", text);
        Assert.Contains("GW_TOKEN", text);
        Assert.DoesNotContain("X-Tenant", text); // header values live for the registering process only
        UserOnly.AssertFile(path);
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));

        await using var again = await KernelProviders.LoadAsync(new FakeLocalProvider(), GatewayProviderFactory.Instance, dir, Timeout(5));
        Assert.Equal("gw-1", again.Get("gw-1").Name);
        await again.UnregisterAsync("gw-1", Timeout(5));
        await Assert.ThrowsAsync<KernelException>(() => again.UnregisterAsync("gw-1", Timeout(5)));
        await using var third = await KernelProviders.LoadAsync(new FakeLocalProvider(), GatewayProviderFactory.Instance, dir, Timeout(5));
        Assert.Single(third.List());
    }

    [Theory]
    [InlineData("local")]
    [InlineData("LOCAL")]
    [InlineData("-x")]
    [InlineData("a/b")]
    [InlineData("a b")]
    [InlineData("")]
    public async Task InvalidNames_AreRejected(string name)
    {
        await using var registry = new KernelProviders(new FakeLocalProvider(), GatewayProviderFactory.Instance);
        var e = await Assert.ThrowsAsync<KernelException>(() => registry.RegisterAsync(new ProviderRegistration { Name = name, Url = "http://h/" }, Timeout(5)));
        Assert.Equal(ErrorIds.ProviderInvalid, e.ErrorId);
    }

    [Fact]
    public async Task Collision_NeedsForce_ResolveAndRecordMapping()
    {
        await using var registry = new KernelProviders(new FakeLocalProvider(), GatewayProviderFactory.Instance, null, " <{0}>");
        await registry.RegisterAsync(new ProviderRegistration { Name = "a.b_c-1", Url = "http://h/" }, Timeout(5));
        var e = await Assert.ThrowsAsync<KernelException>(() => registry.RegisterAsync(new ProviderRegistration { Name = "a.b_c-1", Url = "http://h2/" }, Timeout(5)));
        Assert.Equal(ErrorIds.ProviderExists, e.ErrorId);
        var info = await registry.RegisterAsync(new ProviderRegistration { Name = "a.b_c-1", Url = "http://h2/", Force = true }, Timeout(5));
        Assert.Equal("http://h2/", info.Url);
        Assert.Equal(" <a.b_c-1>", info.DisplayNameSuffix);
        Assert.Equal(2, registry.List().Count);

        Assert.Equal(("local", "python3"), Names(registry.Resolve("python3")));
        Assert.Equal(("local", "python3"), Names(registry.Resolve("local/python3")));
        Assert.Equal(("a.b_c-1", "ir"), Names(registry.Resolve("a.b_c-1/ir")));
        Assert.Equal(ErrorIds.ProviderNotFound, Assert.Throws<KernelException>(() => registry.Resolve("nope/python3")).ErrorId);
        Assert.Equal(ErrorIds.ProviderNotFound, Assert.Throws<KernelException>(() => registry.Get("nope")).ErrorId);
        Assert.Equal(ErrorIds.ProviderInvalid, (await Assert.ThrowsAsync<KernelException>(() =>
            registry.RegisterAsync(new ProviderRegistration { Name = "bad", Url = "nonsense" }, Timeout(5)))).ErrorId);

        var record = new KernelRecord { Id = "k", Provider = "a.b_c-1", SpecName = "a.b_c-1/ir" };
        Assert.Equal("a.b_c-1", registry.GetProviderFor(record).Name);
        Assert.Equal("local", registry.GetProviderFor(record with { Provider = "local" }).Name);
        Assert.Equal(ErrorIds.ProviderNotFound, Assert.Throws<KernelException>(() => registry.GetProviderFor(record with { Provider = "gone" })).ErrorId);
    }

    private static (string, string) Names((IKernelProvider Provider, string Spec) r) => (r.Provider.Name, r.Spec);
}
