using System.Text;
using System.Text.Json;
using JupyterKernels.Connections;
using JupyterKernels.Messaging;

namespace JupyterKernels.Tests.Messaging;

/// <summary>The one-pass reader of flat string objects (stream contents) agrees with System.Text.Json, and gives up
/// (null) on everything it does not handle or that is not valid JSON.</summary>
public sealed class FlatStringObjectTests
{
    public static IEnumerable<object[]> Texts() => new[]
    {
        "",
        "plain",
        "0\n1\n2\n",
        "tab\there \"quoted\" back\\slash /slash \b\f\r",
        "é ü ß — 中文 😀 mixed with ascii",
        new string('x', 5000) + "\n" + new string('y', 17) + "\u0001\u001f",
        string.Concat(Enumerable.Range(0, 2000).Select(i => $"{i}\t\"é\"\n")),
        "\u2028\u2029<>&'",
    }.Select(t => new object[] { t });

    [Theory]
    [MemberData(nameof(Texts))]
    public void Decodes_what_System_Text_Json_writes_exactly(string text)
    {
        // Both the default escaping (\u escapes for non-ASCII and HTML characters) and the relaxed one (raw UTF-8).
        foreach (var encoder in new[] { System.Text.Encodings.Web.JavaScriptEncoder.Default, System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping })
        {
            var json = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["name"] = "stdout", ["text"] = text }, new JsonSerializerOptions { Encoder = encoder });
            var values = FlatStringObject.TryParse(json);
            Assert.NotNull(values);
            Assert.Equal(text, values!["text"]);
            Assert.Equal("stdout", values["name"]);
        }
    }

    [Fact]
    public void Decodes_what_Python_writes_including_surrogate_pair_escapes_and_whitespace()
    {
        // json.dumps({"name": "stdout", "text": "a😀\n"}) with its ", " / ": " separators, plus surrounding whitespace.
        var json = Encoding.UTF8.GetBytes(" {\"name\": \"stdout\", \"text\": \"a\\ud83d\\ude00\\n\\u00e9\"}\r\n");
        var values = FlatStringObject.TryParse(json);
        Assert.Equal("a😀\né", values!["text"]);
        Assert.Empty(FlatStringObject.TryParse("{ }"u8)!);
    }

    [Theory]
    [InlineData("{\"a\": {\"b\": \"c\"}}")]          // nested: not flat
    [InlineData("{\"a\": 1}")]                       // a number
    [InlineData("{\"a\": null}")]
    [InlineData("[\"a\"]")]                          // not an object
    [InlineData("{\"a\" \"b\"}")]                    // no colon
    [InlineData("{\"a\": \"b\",}")]                  // trailing comma
    [InlineData("{\"a\": \"b\"} x")]                 // trailing garbage
    [InlineData("{\"a\": \"b")]                      // unterminated
    [InlineData("{\"a\": \"b\\q\"}")]                // bad escape
    [InlineData("{\"a\": \"\\u12g4\"}")]             // bad hex
    [InlineData("{\"a\": \"\\u12\"}")]               // short \u escape
    [InlineData("{\"a\": \"tab\there\"}")]           // raw control character
    [InlineData("")]
    public void Returns_null_for_anything_else(string json)
    {
        Assert.Null(FlatStringObject.TryParse(Encoding.UTF8.GetBytes(json)));
    }

    [Theory]
    [InlineData(new byte[] { 0xC0, 0xAF })]             // overlong '/'
    [InlineData(new byte[] { 0x80 })]                   // lone continuation byte
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })]       // an encoded surrogate
    [InlineData(new byte[] { 0xE2, 0x82 })]             // truncated sequence
    public void Returns_null_for_invalid_UTF8(byte[] bad)
    {
        var json = "{\"text\": \"ok "u8.ToArray().Concat(bad).Concat(" ok\"}"u8.ToArray()).ToArray();
        Assert.Null(FlatStringObject.TryParse(json));
    }

    [Fact]
    public void A_large_stream_message_is_decoded_without_parsing_and_its_content_is_still_there_on_demand()
    {
        var text = string.Concat(Enumerable.Range(0, 50_000).Select(i => $"{i} é\n"));
        var factory = new MessageFactory("session-1", "ada");
        var stream = factory.Create("stream", RequestContent.Build(w => { w.WriteString("name", "stderr"); w.WriteString("text", text); }));
        var frames = WireFormat.Serialize(stream, new MessageSigner("k")).Select(f => f.ToArray()).ToList();
        Assert.True(frames[^1].Length >= WireFormat.LargeContent);

        var message = WireFormat.Deserialize(frames, new MessageSigner("k")).Message!;

        var output = Assert.IsType<KernelStreamOutput>(OutputConverter.FromIOPub("k1", message));
        Assert.Equal(text, output.Text);
        Assert.Equal("stderr", output.Name);
        Assert.Equal(text, message.GetContentString("text"));
        Assert.Null(message.GetContentString("missing"));
        // Raw mode and other consumers still see the whole content as JSON.
        Assert.Equal(text, message.Content.GetProperty("text").GetString());
        Assert.Equal(JsonValueKind.Object, message.Content.ValueKind);
    }

    [Fact]
    public void A_large_content_that_is_not_flat_is_parsed_as_before()
    {
        var html = new string('x', 40_000);
        var factory = new MessageFactory("session-1", "ada");
        var display = factory.Create("display_data", RequestContent.Build(w =>
        {
            w.WriteStartObject("data"); w.WriteString("text/html", html); w.WriteEndObject();
            w.WriteStartObject("metadata"); w.WriteEndObject();
        }));
        var frames = WireFormat.Serialize(display, new MessageSigner("k")).Select(f => f.ToArray()).ToList();
        var message = WireFormat.Deserialize(frames, new MessageSigner("k")).Message!;
        var output = Assert.IsType<KernelDisplayData>(OutputConverter.FromIOPub("k1", message));
        Assert.Equal(html, output.Data["text/html"]);
        Assert.Null(message.GetContentString("data"));
    }
}
