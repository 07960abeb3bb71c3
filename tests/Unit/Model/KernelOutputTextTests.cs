using System.Text.Json;
using JupyterKernels.Messaging;

namespace JupyterKernels.Tests.Model;

/// <summary>The best text form of a MIME bundle (what the output views and ToString show).</summary>
public sealed class KernelOutputTextTests
{
    private static Dictionary<string, object?> Bundle(string json) => JsonDocument.Parse(json).RootElement.ToDictionary();

    // A 640x480 PNG (IHDR carries the size).
    private const string Png640x480 = "iVBORw0KGgoAAAANSUhEUgAAAoAAAAHgCAIAAAC6s0uzAAAAEElEQVR4nGNgGAWjYBSMAgAEIAAB5xyWUgAAAABJRU5ErkJggg==";

    [Fact]
    public void JsonNumbers_KeepTheirTypes()
    {
        var data = Bundle("""{"application/json": {"a": 1, "b": 1.5, "c": [2, 2.25]}}""");
        var json = (Dictionary<string, object?>)data["application/json"]!;
        Assert.IsType<long>(json["a"]);
        Assert.IsType<double>(json["b"]);
        Assert.Equal("""{"application/json":{"a":1,"b":1.5,"c":[2,2.25]}}""", JsonSerializer.Serialize(data));
    }

    [Fact]
    public void InformativePlainText_Wins()
        => Assert.Equal("42", KernelOutputText.Best(Bundle("""{"text/plain": "42", "text/html": "<b>42</b>"}""")));

    [Fact]
    public void UninformativeRepr_GivesJsonThenSummary()
    {
        Assert.Equal("""{"a":1}""", KernelOutputText.Best(Bundle("""{"text/plain": "<IPython.core.display.JSON object>", "application/json": {"a": 1}}""")));
        // HTML that reads as text shows as text (HtmlTextTests); HTML with script is summarised.
        Assert.Equal("<HTML 2 KB>", KernelOutputText.Best(Bundle($$"""{"text/plain": "<IPython.core.display.HTML object>", "text/html": "<script>{{new string('x', 2031)}}</script>"}""")));
        Assert.Equal("<image/png 640x480>", KernelOutputText.Best(Bundle($$"""{"text/plain": "<IPython.core.display.Image object>", "image/png": "{{Png640x480}}"}""")));
        Assert.Equal("# Title", KernelOutputText.Best(Bundle("""{"text/plain": "<IPython.core.display.Markdown object>", "text/markdown": "# Title"}""")));
    }

    [Fact]
    public void NoPlainText_GivesSummary_WithMetadataSizeWhenTheImageIsUnreadable()
    {
        Assert.Equal("<image/svg+xml 11 B>", KernelOutputText.Best(Bundle("""{"image/svg+xml": "<svg></svg>"}""")));
        Assert.Equal("<image/jpeg 10x20>", KernelOutputText.Best(Bundle("""{"image/jpeg": "AAAA"}"""), Bundle("""{"image/jpeg": {"width": 10, "height": 20}}""")));
        Assert.Equal("", KernelOutputText.Best(Bundle("{}")));
    }

    [Fact]
    public void ImageSize_ReadsPngGifAndJpegHeaders()
    {
        Assert.Equal((640L, 480L), KernelOutputText.ImageSize(Png640x480));
        var gif = Convert.ToBase64String([(byte)'G', (byte)'I', (byte)'F', (byte)'8', (byte)'9', (byte)'a', 3, 0, 2, 0]);
        Assert.Equal((3L, 2L), KernelOutputText.ImageSize(gif));
        // SOI, APP0 (length 4), SOF0 (length 11, precision 8, height 0x0102, width 0x0304).
        var jpeg = Convert.ToBase64String([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00, 0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x01, 0x02, 0x03, 0x04, 0x01, 0x00, 0x00, 0x00]);
        Assert.Equal((0x0304L, 0x0102L), KernelOutputText.ImageSize(jpeg));
        Assert.Null(KernelOutputText.ImageSize("not base64!"));
    }
}
