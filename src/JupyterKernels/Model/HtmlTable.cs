using System.Globalization;
using System.Text;

namespace JupyterKernels;

/// <summary>One table's rows and cells, laid out as aligned columns (numbers right-aligned) with a rule under the
/// header rows.</summary>
internal sealed class HtmlTable
{
    private readonly List<(List<string> Cells, bool Header)> _rows = [];
    private List<string>? _row;
    private bool _rowHeader = true;

    public StringBuilder? Cell { get; private set; }
    public bool InHead { get; set; }

    public void StartRow()
    {
        _row = [];
        _rowHeader = true;
    }

    public void EndRow()
    {
        EndCell();
        if (_row is { Count: > 0 }) _rows.Add((_row, InHead || _rowHeader));
        _row = null;
    }

    public void StartCell(bool header)
    {
        if (_row is null) StartRow();
        if (!header) _rowHeader = false;
        Cell = new StringBuilder();
    }

    public void EndCell()
    {
        if (Cell is null) return;
        _row!.Add(Cell.ToString().Trim());
        Cell = null;
    }

    public List<string> Render()
    {
        EndRow();
        var lines = new List<string>();
        if (_rows.Count == 0) return lines;
        var columns = _rows.Max(r => r.Cells.Count);
        var widths = new int[columns];
        var numeric = new bool[columns];
        Array.Fill(numeric, true);
        foreach (var (cells, header) in _rows)
        {
            for (var c = 0; c < cells.Count; c++)
            {
                cells[c] = Fit(cells[c]);
                widths[c] = Math.Max(widths[c], cells[c].Length);
                if (!header && cells[c].Length > 0 && !IsNumber(cells[c])) numeric[c] = false;
            }
        }
        // The rule goes under the leading header rows, when a body follows them.
        var headerRows = 0;
        while (headerRows < _rows.Count && _rows[headerRows].Header) headerRows++;
        if (headerRows == _rows.Count) headerRows = 0;
        for (var r = 0; r < _rows.Count; r++)
        {
            if (r == headerRows && headerRows > 0)
                lines.Add(string.Join("  ", widths.Select(w => new string('-', Math.Max(w, 1)))).TrimEnd());
            var cells = _rows[r].Cells;
            var line = new StringBuilder();
            for (var c = 0; c < columns; c++)
            {
                var cell = c < cells.Count ? cells[c] : "";
                if (c > 0) line.Append("  ");
                line.Append(numeric[c] ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c]));
            }
            lines.Add(line.ToString().TrimEnd());
        }
        return lines;
    }

    private static string Fit(string cell) => cell.Length <= HtmlText.MaxColumnWidth ? cell : cell[..(HtmlText.MaxColumnWidth - 1)] + "…";

    private static bool IsNumber(string s) => double.TryParse(s, NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out _)
        || s is "NaN" or "NA" or "nan" or "inf" or "-inf";
}
