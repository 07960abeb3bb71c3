using System.Text;

namespace JupyterKernels.Cmdlets;

/// <summary>Completion choices laid out in columns under the cell, as a shell lists them, with the kernel's kind of
/// each (function, module, ...) beside it when it sent one; long lists are cut with a count of the rest.</summary>
internal static class CompletionListing
{
    private const int MaxShown = 120;

    public static string Format(IReadOnlyList<string> matches, IReadOnlyList<string>? types, int width)
    {
        var items = matches.Take(MaxShown).Select((m, i) => types is not null && i < types.Count && types[i] is { Length: > 0 } t && t != "<unknown>" ? $"{m} ({t})" : m).ToList();
        var columnWidth = Math.Min(items.Max(i => i.Length) + 2, Math.Max(width - 1, 1));
        var columns = Math.Max(1, (width - 1) / columnWidth);
        var rows = (items.Count + columns - 1) / columns;
        var text = new StringBuilder();
        for (var r = 0; r < rows; r++)
        {
            var line = new StringBuilder();
            for (var c = 0; c < columns; c++)
            {
                var index = c * rows + r;
                if (index >= items.Count) break;
                var item = items[index].Length > columnWidth ? items[index][..(columnWidth - 1)] + "…" : items[index];
                line.Append(c < columns - 1 ? item.PadRight(columnWidth) : item);
            }
            text.Append(line.ToString().TrimEnd()).Append("\r\n");
        }
        if (matches.Count > MaxShown) text.Append($"… and {matches.Count - MaxShown} more\r\n");
        return text.ToString();
    }
}
