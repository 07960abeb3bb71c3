using System.Globalization;
using System.Net;
using System.Text;

namespace JupyterKernels;

/// <summary>
/// Simple HTML as console text, for kernels that send a plain value only as <c>text/html</c>
/// (<c>&lt;div&gt;&lt;pre&gt;42&lt;/pre&gt;&lt;/div&gt;</c> reads 42): block elements break lines, <c>&lt;pre&gt;</c> keeps
/// its text as is, tables are laid out as aligned columns, lists get bullets, entities are decoded and other tags
/// are dropped. Not a browser: it declines (null) HTML that does not read as text — larger than
/// <see cref="MaxHtmlLength"/>, longer than <see cref="MaxLines"/> lines once converted, empty, or carrying active
/// content (script, iframe, object, embed, canvas, svg, media, event-handler attributes) — and the caller shows a
/// summary instead. One pass over the input with no backtracking, so the work is bounded by its length.
/// </summary>
internal static class HtmlText
{
    /// <summary>HTML longer than this (characters) is summarised rather than converted.</summary>
    public const int MaxHtmlLength = 32 * 1024;

    /// <summary>A conversion longer than this many lines is summarised rather than shown.</summary>
    public const int MaxLines = 100;

    /// <summary>A table column wider than this is cut (with an ellipsis), so a table stays a table at 80 columns.</summary>
    public const int MaxColumnWidth = 40;

    private static readonly HashSet<string> Active = new(StringComparer.OrdinalIgnoreCase)
    {
        "script", "iframe", "object", "embed", "applet", "canvas", "svg", "math", "video", "audio", "frame", "frameset",
    };

    // Elements whose text is not content (never shown).
    private static readonly HashSet<string> Hidden = new(StringComparer.OrdinalIgnoreCase)
    {
        "style", "title", "head", "template", "noscript", "textarea", "select",
    };

    private static readonly HashSet<string> Block = new(StringComparer.OrdinalIgnoreCase)
    {
        "address", "article", "aside", "blockquote", "body", "center", "dd", "details", "dialog", "div", "dl", "dt",
        "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "html",
        "main", "nav", "p", "section", "summary", "caption", "legend", "output",
    };

    /// <summary>The text of <paramref name="html"/>, or null when it should be summarised instead.</summary>
    public static string? TryConvert(string html)
    {
        if (html.Length > MaxHtmlLength) return null;
        var writer = new Writer();
        var i = 0;
        while (i < html.Length)
        {
            var lt = html.IndexOf('<', i);
            if (lt < 0)
            {
                writer.Text(html.AsSpan(i));
                break;
            }
            if (lt > i) writer.Text(html.AsSpan(i, lt - i));
            i = lt;
            if (!TryReadTag(html, ref i, out var tag))
            {
                writer.Text("<");
                i = lt + 1;
                continue;
            }
            if (tag.Name.Length == 0) continue; // comment, doctype, processing instruction
            if (Active.Contains(tag.Name) || tag.HasEventHandler) return null;
            if (!tag.IsEnd && Hidden.Contains(tag.Name))
            {
                i = SkipRawText(html, i, tag.Name);
                continue;
            }
            writer.Tag(tag);
        }
        var text = writer.Finish();
        if (text.Length == 0) return null;
        var lines = 1;
        foreach (var c in text)
        {
            if (c == '\n' && ++lines > MaxLines) return null;
        }
        return text;
    }

    private readonly record struct Tag(string Name, bool IsEnd, bool SelfClosing, bool HasEventHandler, string? Alt, int Start);

    /// <summary>Reads a tag at <paramref name="i"/> (which is at '&lt;'); false when it is not one (a literal '&lt;').
    /// Comments, doctypes and processing instructions come back with an empty name.</summary>
    private static bool TryReadTag(string html, ref int i, out Tag tag)
    {
        tag = default;
        var start = i;
        if (start + 1 >= html.Length) return false;
        var next = html[start + 1];
        if (html.AsSpan(start).StartsWith("<!--"))
        {
            var end = html.IndexOf("-->", start + 4, StringComparison.Ordinal);
            i = end < 0 ? html.Length : end + 3;
            tag = new Tag("", false, false, false, null, start);
            return true;
        }
        if (next is '!' or '?')
        {
            var end = html.IndexOf('>', start + 2);
            i = end < 0 ? html.Length : end + 1;
            tag = new Tag("", false, false, false, null, start);
            return true;
        }
        var isEnd = next == '/';
        var p = start + (isEnd ? 2 : 1);
        if (p >= html.Length || !char.IsAsciiLetter(html[p])) return false;
        var nameStart = p;
        while (p < html.Length && (char.IsAsciiLetterOrDigit(html[p]) || html[p] is '-' or ':')) p++;
        var name = html[nameStart..p].ToLowerInvariant();
        var handler = false;
        string? alt = null;
        var selfClosing = false;
        // Attributes: name, optionally = and a quoted or bare value; up to the closing '>'.
        while (p < html.Length && html[p] != '>')
        {
            var c = html[p];
            if (c == '/') { selfClosing = true; p++; continue; }
            if (char.IsWhiteSpace(c)) { p++; continue; }
            selfClosing = false;
            var attrStart = p;
            while (p < html.Length && !char.IsWhiteSpace(html[p]) && html[p] is not ('=' or '>' or '/')) p++;
            if (p == attrStart) { p++; continue; }
            var attr = html.AsSpan(attrStart, p - attrStart);
            while (p < html.Length && char.IsWhiteSpace(html[p])) p++;
            string? value = null;
            if (p < html.Length && html[p] == '=')
            {
                p++;
                while (p < html.Length && char.IsWhiteSpace(html[p])) p++;
                if (p < html.Length && html[p] is '"' or '\'')
                {
                    var quote = html[p];
                    var close = html.IndexOf(quote, p + 1);
                    if (close < 0) close = html.Length;
                    value = html[(p + 1)..close];
                    p = Math.Min(html.Length, close + 1);
                }
                else
                {
                    var valueStart = p;
                    while (p < html.Length && !char.IsWhiteSpace(html[p]) && html[p] != '>') p++;
                    value = html[valueStart..p];
                }
            }
            if (attr.Length > 2 && attr.StartsWith("on", StringComparison.OrdinalIgnoreCase)) handler = true;
            else if (value is not null && attr.Equals("alt", StringComparison.OrdinalIgnoreCase)) alt = WebUtility.HtmlDecode(value);
            else if (value is not null && (attr.Equals("href", StringComparison.OrdinalIgnoreCase) || attr.Equals("src", StringComparison.OrdinalIgnoreCase))
                && value.TrimStart().StartsWith("javascript:", StringComparison.OrdinalIgnoreCase)) handler = true;
        }
        i = Math.Min(html.Length, p + 1);
        tag = new Tag(name, isEnd, selfClosing, handler, alt, start);
        return true;
    }

    /// <summary>Past the end tag of a raw-text element (style, title, ...), or the end of the input.</summary>
    private static int SkipRawText(string html, int from, string name)
    {
        var end = html.IndexOf("</" + name, from, StringComparison.OrdinalIgnoreCase);
        if (end < 0) return html.Length;
        var close = html.IndexOf('>', end);
        return close < 0 ? html.Length : close + 1;
    }

    /// <summary>Collects text: flowing text with collapsed white space, preformatted text as is, table cells apart.</summary>
    private sealed class Writer
    {
        private readonly StringBuilder _out = new();
        private readonly Stack<HtmlTable> _tables = new();
        private readonly Stack<int> _lists = new(); // per open list: the next item number, or -1 for bullets
        private int _pre;
        private bool _space;

        private StringBuilder Target => _tables.TryPeek(out var t) && t.Cell is { } cell ? cell : _out;

        public void Text(ReadOnlySpan<char> raw)
        {
            if (_tables.TryPeek(out var table) && table.Cell is null) return; // white space between rows and cells
            var text = raw.IndexOf('&') >= 0 ? WebUtility.HtmlDecode(raw.ToString()) : raw.ToString();
            var target = Target;
            if (_pre > 0 && _tables.Count == 0)
            {
                target.Append(text.Replace("\r\n", "\n"));
                _space = false;
                return;
            }
            foreach (var c in text)
            {
                if (char.IsWhiteSpace(c) && c != '\u00A0')
                {
                    _space = true;
                    continue;
                }
                if (_space && target.Length > 0 && target[^1] is not ('\n' or ' ')) target.Append(' ');
                _space = false;
                target.Append(c == '\u00A0' ? ' ' : c);
            }
        }

        public void Tag(Tag tag)
        {
            var name = tag.Name;
            switch (name)
            {
                case "br":
                    if (_tables.TryPeek(out var t) && t.Cell is not null) { _space = true; return; }
                    if (_tables.Count == 0) { _out.Append('\n'); _space = false; }
                    return;
                case "img":
                    if (!string.IsNullOrWhiteSpace(tag.Alt)) Text($"[{tag.Alt.Trim()}]");
                    return;
                case "hr":
                    if (_tables.Count > 0) return;
                    Line();
                    _out.Append("----").Append('\n');
                    return;
                case "pre":
                    if (_tables.Count == 0) Line();
                    _pre = tag.IsEnd ? Math.Max(0, _pre - 1) : _pre + 1;
                    if (_tables.Count == 0 && tag.IsEnd) Line();
                    _space = false;
                    return;
                case "table":
                    if (tag.IsEnd) EndTable();
                    else
                    {
                        if (_tables.Count == 0) Line();
                        _tables.Push(new HtmlTable());
                    }
                    return;
                case "ul" or "ol":
                    if (_tables.Count > 0) return;
                    Line();
                    if (tag.IsEnd) { _lists.TryPop(out _); }
                    else _lists.Push(name == "ol" ? 1 : -1);
                    return;
                case "li":
                    if (_tables.Count > 0 || tag.IsEnd) { if (tag.IsEnd && _tables.Count == 0) Line(); return; }
                    Line();
                    var depth = Math.Min(_lists.Count, 10);
                    var marker = "-";
                    if (_lists.TryPop(out var number))
                    {
                        marker = number < 0 ? "-" : number.ToString(CultureInfo.InvariantCulture) + ".";
                        _lists.Push(number < 0 ? -1 : number + 1);
                    }
                    _out.Append(' ', Math.Max(0, depth - 1) * 2).Append(marker).Append(' ');
                    _space = false;
                    return;
            }
            if (_tables.TryPeek(out var table))
            {
                switch (name)
                {
                    case "tr":
                        table.EndRow();
                        if (!tag.IsEnd) table.StartRow();
                        return;
                    case "td" or "th":
                        table.EndCell();
                        if (!tag.IsEnd) table.StartCell(name == "th");
                        _space = false;
                        return;
                    case "thead" or "tbody" or "tfoot":
                        table.EndRow();
                        if (name == "thead") table.InHead = !tag.IsEnd;
                        return;
                    case "caption":
                        return;
                }
                if (Block.Contains(name) && table.Cell is not null) _space = true;
                return;
            }
            if (Block.Contains(name)) Line();
        }

        /// <summary>Ends the current line, if any text is on it.</summary>
        private void Line()
        {
            _space = false;
            if (_out.Length > 0 && _out[^1] != '\n') _out.Append('\n');
        }

        private void EndTable()
        {
            if (!_tables.TryPop(out var table)) return;
            var lines = table.Render();
            if (_tables.TryPeek(out var outer))
            {
                // A table inside a cell: its rows, joined, are that cell's text.
                if (outer.Cell is { } cell)
                {
                    if (cell.Length > 0) cell.Append(' ');
                    cell.Append(string.Join("; ", lines.Select(l => l.Trim())));
                }
                return;
            }
            Line();
            foreach (var line in lines) _out.Append(line).Append('\n');
        }

        public string Finish()
        {
            while (_tables.Count > 0) EndTable(); // tables left open by the HTML still show
            var lines = _out.ToString().Split('\n').Select(l => l.TrimEnd());
            var text = new StringBuilder();
            var blank = 0;
            foreach (var line in lines)
            {
                if (line.Length == 0)
                {
                    if (text.Length > 0) blank++;
                    continue;
                }
                if (text.Length > 0) text.Append('\n', Math.Min(blank, 1) + 1);
                blank = 0;
                text.Append(line);
            }
            return text.ToString();
        }
    }
}
