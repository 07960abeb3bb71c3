using System.Text.Json;
using JupyterKernels.Messaging;

namespace JupyterKernels.Tests.Model;

/// <summary>HTML as console text: what a kernel that sends a value only as text/html shows at the prompt.</summary>
public sealed class HtmlTextTests
{
    private static Dictionary<string, object?> Bundle(string json) => JsonDocument.Parse(json).RootElement.ToDictionary();

    [Fact]
    public void PreInsideADiv_IsItsText()
    {
        Assert.Equal("42", HtmlText.TryConvert("<div class=\"output\"><pre>42</pre></div>"));
        Assert.Equal("line 1\n  indented\nline 3", HtmlText.TryConvert("<pre>\nline 1\n  indented\nline 3\n</pre>"));
    }

    [Fact]
    public void HtmlOnlyBundle_ShowsItsText_AndSaysWhereItComesFrom()
    {
        var choice = KernelOutputText.Choose(Bundle("""{"text/html": "<div class=\"x\"><pre>42</pre></div>"}"""));
        Assert.Equal("42", choice.Text);
        Assert.Equal("text/html", choice.Source);
        // An informative text/plain still wins over HTML.
        Assert.Equal("text/plain", KernelOutputText.Choose(Bundle("""{"text/plain": "42", "text/html": "<b>41</b>"}""")).Source);
    }

    [Fact]
    public void FlowingText_CollapsesWhiteSpace_AndBreaksAtBlocks()
    {
        Assert.Equal("Hello world\nSecond paragraph\nend", HtmlText.TryConvert("<p>Hello\n   <b>world</b></p><p>Second   paragraph</p>end"));
        Assert.Equal("a\nb", HtmlText.TryConvert("a<br>b"));
        Assert.Equal("Title\n----\nx", HtmlText.TryConvert("<h1>Title</h1><hr/>x"));
    }

    [Fact]
    public void Entities_AreDecoded_AndNonBreakingSpacesKept()
    {
        Assert.Equal("a < b & c > d \"q\" é", HtmlText.TryConvert("a &lt; b &amp; c &gt; d &quot;q&quot; &eacute;"));
        Assert.Equal("1 000", HtmlText.TryConvert("1&nbsp;000"));
        // A '<' that starts no tag is text.
        Assert.Equal("1 < 2", HtmlText.TryConvert("1 < 2"));
    }

    [Fact]
    public void Tables_AreLaidOutAsColumns_NumbersRightAligned_WithARuleUnderTheHeader()
    {
        // pandas' DataFrame.to_html shape: an empty corner header cell, index cells as th.
        const string html = """
            <table border="1" class="dataframe">
              <thead><tr style="text-align: right;"><th></th><th>name</th><th>value</th></tr></thead>
              <tbody>
                <tr><th>0</th><td>alpha</td><td>1.5</td></tr>
                <tr><th>1</th><td>b</td><td>100</td></tr>
              </tbody>
            </table>
            """;
        Assert.Equal(
            "   name   value\n" +
            "-  -----  -----\n" +
            "0  alpha    1.5\n" +
            "1  b        100",
            HtmlText.TryConvert(html));
    }

    [Fact]
    public void TableWithoutHeader_HasNoRule_AndWideCellsAreCut()
    {
        var wide = new string('w', 60);
        var text = HtmlText.TryConvert($"<table><tr><td>a</td><td>{wide}</td></tr><tr><td>bb</td><td>c</td></tr></table>")!;
        var lines = text.Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.Equal("a   " + new string('w', HtmlText.MaxColumnWidth - 1) + "…", lines[0]);
        Assert.Equal("bb  c", lines[1]);
    }

    [Fact]
    public void NestedTable_BecomesItsCellsText()
        => Assert.Equal("x  1  2; 3  4", HtmlText.TryConvert("<table><tr><td>x</td><td><table><tr><td>1</td><td>2</td></tr><tr><td>3</td><td>4</td></tr></table></td></tr></table>"));

    [Fact]
    public void Lists_GetBulletsOrNumbers_NestedIndented()
        => Assert.Equal("- one\n- two\n  1. a\n  2. b\n- three",
            HtmlText.TryConvert("<ul><li>one</li><li>two<ol><li>a</li><li>b</li></ol></li><li>three</li></ul>"));

    [Fact]
    public void StyleCommentsAndHead_AreNotText()
        => Assert.Equal("shown", HtmlText.TryConvert("<!DOCTYPE html><html><head><title>t</title><style>.a { color: red }</style></head><body><!-- hidden -->shown</body></html>"));

    [Theory]
    [InlineData("<div>x</div><script>alert(1)</script>")]
    [InlineData("<iframe src=\"https://example.invalid\"></iframe>")]
    [InlineData("<div onclick=\"go()\">x</div>")]
    [InlineData("<a href=\"javascript:go()\">x</a>")]
    [InlineData("<svg><circle r=\"4\"/></svg>")]
    [InlineData("<img src=\"data:image/png;base64,AAAA\">")]
    [InlineData("<div>   </div>")]
    public void ActiveOrEmptyHtml_IsDeclined(string html) => Assert.Null(HtmlText.TryConvert(html));

    [Fact]
    public void LargeHtml_IsDeclined_AndTheBundleIsSummarised()
    {
        var large = "<pre>" + new string('x', HtmlText.MaxHtmlLength) + "</pre>";
        Assert.Null(HtmlText.TryConvert(large));
        var tall = string.Concat(Enumerable.Repeat("<p>line</p>", HtmlText.MaxLines + 1));
        Assert.Null(HtmlText.TryConvert(tall));
        Assert.NotNull(HtmlText.TryConvert(string.Concat(Enumerable.Repeat("<p>line</p>", HtmlText.MaxLines))));
        var script = """{"text/html": "<div id=\"plot\"></div><script>draw()</script>"}""";
        Assert.Equal(new KernelOutputText.Choice("<HTML 44 B>", KernelOutputText.SummarySource), KernelOutputText.Choose(Bundle(script)));
    }

    [Theory]
    [InlineData("<")]
    [InlineData("<div")]
    [InlineData("<div class=\"unterminated")]
    [InlineData("<!-- no end")]
    [InlineData("</")]
    [InlineData("<table><tr><td>open")]
    [InlineData("<pre>open")]
    [InlineData("</table></tr></li></ul></pre>x")]
    public void MalformedHtml_NeverThrows(string html)
    {
        var text = HtmlText.TryConvert(html);
        Assert.True(text is null || text.Length <= html.Length + 10);
    }

    [Fact]
    public void UnclosedTable_StillShows()
        => Assert.Equal("open", HtmlText.TryConvert("<table><tr><td>open"));

    [Fact]
    public void RandomHtmlFragments_NeverThrow_AndPathologicalNestingStaysBounded()
    {
        string[] pieces = ["<", ">", "</", "/>", "<table>", "</table>", "<tr>", "<td>", "</td>", "<th>", "<pre>", "</pre>", "<ul>", "<li>",
            "</ul>", "<ol>", "<br>", "<p>", "</p>", "<!--", "-->", "<!DOCTYPE html>", "&amp;", "&#x41;", "&bogus;", "\"", "'", "=", " ", "\n",
            "x", "42", "<div class='a'>", "</div>", "<style>", "</style>", "<img alt=\"pic\">", "<b>", "</b>", "<thead>", "<tbody>", "</tr>"];
        var random = new Random(27);
        for (var n = 0; n < 3000; n++)
        {
            var html = string.Concat(Enumerable.Range(0, random.Next(1, 60)).Select(_ => pieces[random.Next(pieces.Length)]));
            var text = HtmlText.TryConvert(html);
            Assert.True(text is null || (text.Length > 0 && text.Split('\n').Length <= HtmlText.MaxLines), html);
        }
        // Deep nesting within the size limit: linear work, an answer in well under a second.
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        HtmlText.TryConvert(string.Concat(Enumerable.Repeat("<table><tr><td>", 2000)) + "x");
        HtmlText.TryConvert(string.Concat(Enumerable.Repeat("<ul><li>", 3000)) + "x");
        HtmlText.TryConvert(string.Concat(Enumerable.Repeat("<div a='", 3000)));
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"took {stopwatch.Elapsed}");
    }
}
