using System.Text;
using JupyterKernels.Messaging;
using JupyterKernels.Tests.Support;

namespace JupyterKernels.Tests.Messaging;

[Trait("Category", "Integration")] // starts processes or servers
public sealed class WireFormatTests
{
    private static JupyterMessage Sample(MessageFactory factory, string? subshell = null)
        => factory.Create("execute_request", RequestContent.Execute("print('é')"), subshellId: subshell);

    [Fact]
    public void A_large_content_is_parsed_in_place_and_keeps_every_character()
    {
        // 100,000 printed lines with escapes and non-ASCII: above WireFormat.LargeContent, so parsed in place.
        var text = string.Concat(Enumerable.Range(0, 100_000).Select(i => $"{i}\t\"é\"\n"));
        var signer = new MessageSigner("k");
        var factory = new MessageFactory("session-1", "ada");
        var stream = factory.Create("stream", RequestContent.Build(w => { w.WriteString("name", "stdout"); w.WriteString("text", text); }));
        var frames = WireFormat.Serialize(stream, signer).Select(f => f.ToArray()).ToList();
        Assert.True(frames[^1].Length >= WireFormat.LargeContent);

        var decoded = WireFormat.Deserialize(frames, new MessageSigner("k"));

        Assert.Equal(WireDecodeError.None, decoded.Error);
        Assert.Equal(text, decoded.Message!.Content.GetProperty("text").GetString());
        Assert.Equal("stdout", decoded.Message.Content.GetProperty("name").GetString());
    }

    [Fact]
    public void A_large_malformed_or_non_object_content_is_reported_not_thrown()
    {
        var signer = new MessageSigner("");
        var factory = new MessageFactory("session-1", "ada");
        var header = WireFormat.Serialize(factory.Create("stream", RequestContent.Empty), signer).Select(f => f.ToArray()).ToList();
        foreach (var content in new[] { "{\"text\": \"" + new string('x', 100_000), "[" + string.Join(",", Enumerable.Repeat("1", 50_000)) + "]" })
        {
            var frames = header.Take(header.Count - 1).Append(Encoding.UTF8.GetBytes(content)).ToList();
            var decoded = WireFormat.Deserialize(frames, new MessageSigner(""));
            Assert.Equal(WireDecodeError.Malformed, decoded.Error);
            Assert.Null(decoded.Message);
        }
    }

    [Fact]
    public void Round_trip_keeps_header_parent_content_and_buffers()
    {
        var signer = new MessageSigner("secret-key");
        var factory = new MessageFactory("session-1", "ada");
        var request = Sample(factory, subshell: "sub-1");
        var reply = factory.Create("execute_reply", RequestContent.Build(w => { w.WriteString("status", "ok"); w.WriteNumber("execution_count", 3); }), parent: request.Header);
        var withBuffer = new JupyterMessage { Header = reply.Header, ParentHeader = reply.ParentHeader, Content = reply.Content, Buffers = new ReadOnlyMemory<byte>[] { new byte[] { 1, 2, 3 } } };

        var frames = WireFormat.Serialize(withBuffer, signer, new[] { Encoding.ASCII.GetBytes("id-1") });
        var decoded = WireFormat.Deserialize(frames.Select(f => f.ToArray()).ToList(), new MessageSigner("secret-key"));

        Assert.Equal(WireDecodeError.None, decoded.Error);
        var m = decoded.Message!;
        Assert.Equal("execute_reply", m.MsgType);
        Assert.Equal(request.MsgId, m.ParentMsgId);
        Assert.Equal("sub-1", m.ParentHeader!.SubshellId);
        Assert.Equal(3, m.Content.GetInt32OrNull("execution_count"));
        Assert.Equal(new byte[] { 1, 2, 3 }, m.Buffers.Single().ToArray());
        Assert.Equal("id-1", Encoding.ASCII.GetString(m.Identities.Single()));
        Assert.Equal("5.4", m.Header.Version);
    }

    [Fact]
    public void Signature_is_lowercase_hex_hmac_sha256_over_the_four_frames()
    {
        var signer = new MessageSigner("k");
        var frames = WireFormat.Serialize(Sample(new MessageFactory()), signer);
        var sig = Encoding.ASCII.GetString(frames[1].Span);
        using var hmac = new System.Security.Cryptography.HMACSHA256(Encoding.UTF8.GetBytes("k"));
        var expected = Convert.ToHexString(hmac.ComputeHash(frames[2].ToArray().Concat(frames[3].ToArray()).Concat(frames[4].ToArray()).Concat(frames[5].ToArray()).ToArray())).ToLowerInvariant();
        Assert.Equal(expected, sig);
    }

    [Fact]
    public void Tampered_missing_and_replayed_signatures_are_rejected()
    {
        var signer = new MessageSigner("k");
        var frames = WireFormat.Serialize(Sample(new MessageFactory()), signer).Select(f => f.ToArray()).ToList();

        var tampered = frames.Select(f => f.ToArray()).ToList();
        tampered[5] = Encoding.UTF8.GetBytes("{\"code\":\"import os; os.system('rm -rf /')\"}");
        Assert.Equal(WireDecodeError.BadSignature, WireFormat.Deserialize(tampered, new MessageSigner("k")).Error);

        var unsigned = frames.Select(f => f.ToArray()).ToList();
        unsigned[1] = Array.Empty<byte>();
        Assert.Equal(WireDecodeError.BadSignature, WireFormat.Deserialize(unsigned, new MessageSigner("k")).Error);

        var receiver = new MessageSigner("k");
        Assert.Equal(WireDecodeError.None, WireFormat.Deserialize(frames, receiver).Error);
        var replay = WireFormat.Deserialize(frames, receiver);
        Assert.Equal(WireDecodeError.BadSignature, replay.Error);
        Assert.Contains("replayed", replay.Detail);

        Assert.Equal(WireDecodeError.BadSignature, WireFormat.Deserialize(frames, new MessageSigner("other-key")).Error);
    }

    [Fact]
    public void Empty_key_means_unsigned_and_unchecked()
    {
        var signer = new MessageSigner("");
        Assert.False(signer.IsEnabled);
        var frames = WireFormat.Serialize(Sample(new MessageFactory()), signer).Select(f => f.ToArray()).ToList();
        Assert.Empty(frames[1]);
        Assert.Equal(WireDecodeError.None, WireFormat.Deserialize(frames, new MessageSigner("")).Error);
    }

    [Theory]
    [InlineData("no delimiter")]
    [InlineData("too few frames")]
    [InlineData("header not json")]
    [InlineData("header array")]
    [InlineData("content not object")]
    public void Malformed_messages_are_reported_not_thrown(string what)
    {
        var signer = new MessageSigner("");
        var frames = WireFormat.Serialize(Sample(new MessageFactory()), signer).Select(f => f.ToArray()).ToList();
        switch (what)
        {
            case "no delimiter": frames[0] = "<IDS|MSX>"u8.ToArray(); break;
            case "too few frames": frames.RemoveRange(3, 3); break;
            case "header not json": frames[2] = "{\"msg_id\":"u8.ToArray(); break;
            case "header array": frames[2] = "[1,2]"u8.ToArray(); break;
            case "content not object": frames[5] = "42"u8.ToArray(); break;
        }
        var result = WireFormat.Deserialize(frames, signer);
        Assert.Equal(WireDecodeError.Malformed, result.Error);
        Assert.Null(result.Message);
    }

    [Fact]
    public void Unknown_header_fields_are_ignored_and_empty_parent_is_null()
    {
        var signer = new MessageSigner("");
        var frames = new List<byte[]>
        {
            "<IDS|MSG>"u8.ToArray(), Array.Empty<byte>(),
            "{\"msg_id\":\"a\",\"msg_type\":\"status\",\"session\":\"s\",\"date\":\"2025-01-01T00:00:00Z\",\"version\":\"5.3\",\"x\":{\"y\":[1]},\"n\":1}"u8.ToArray(),
            "{}"u8.ToArray(), "{}"u8.ToArray(), "{\"execution_state\":\"idle\",\"extra\":true}"u8.ToArray(),
        };
        var m = WireFormat.Deserialize(frames, signer).Message!;
        Assert.Equal("status", m.MsgType);
        Assert.Null(m.ParentHeader);
        Assert.Equal("idle", m.Content.GetStringOrNull("execution_state"));
    }

    [Fact]
    public void Dates_are_utc_iso8601_with_microseconds()
    {
        var m = new MessageFactory().Create("kernel_info_request", RequestContent.Empty);
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$", m.Header.Date);
    }

    [Fact]
    public async Task Messages_we_sign_verify_in_jupyter_client_and_its_messages_verify_here()
    {
        var signer = new MessageSigner("interop-key");
        var frames = WireFormat.Serialize(Sample(new MessageFactory("s1", "u")), signer);
        var hex = string.Join(",", frames.Select(f => Convert.ToHexString(f.Span)));
        var script = "import sys, binascii\nfrom jupyter_client.session import Session\n" +
                     "s = Session(key=b'interop-key')\n" +
                     "frames = [binascii.unhexlify(h) for h in sys.argv[1].split(',')]\n" +
                     "idents, msg = s.feed_identities(frames)\n" +
                     "m = s.deserialize(msg)\n" +
                     "assert m['content']['code'] == \"print('\\u00e9')\", m['content']\n" +
                     "out = s.serialize(s.msg('execute_reply', content={'status':'ok','execution_count':7}, parent=m['header']))\n" +
                     "print(','.join(binascii.hexlify(f).decode() for f in out))\n";
        var (code, stdout, stderr) = await Local.LocalKernelTests.RunPythonAsync(script, hex);
        Assert.True(code == 0, stderr);
        var back = stdout.Trim().Split(',').Select(Convert.FromHexString).ToList();
        var decoded = WireFormat.Deserialize(back, new MessageSigner("interop-key"));
        Assert.Equal(WireDecodeError.None, decoded.Error);
        Assert.Equal(7, decoded.Message!.Content.GetInt32OrNull("execution_count"));
        Assert.Equal("s1_" + Environment.ProcessId + "_1", decoded.Message.ParentMsgId);
    }
}
