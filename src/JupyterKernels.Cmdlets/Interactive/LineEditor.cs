using System.Text;
using JupyterKernels.Connections;

namespace JupyterKernels.Cmdlets;

/// <summary>How a line edit ended: Enter (the text), Ctrl+C (discarded), Ctrl+D on an empty line (end of input).</summary>
internal enum EditOutcome { Accepted, Cancelled, EndOfInput }

internal readonly record struct EditResult(EditOutcome Outcome, string Text);

/// <summary>
/// Edits one cell at a console, as jupyter_console's prompt does: Enter submits the cell when the kernel calls it
/// complete and otherwise continues it on a new line with the kernel's indent (Enter inside a cell, or Ctrl+O/Alt+Enter,
/// always adds a line); Tab completes through the kernel (a Tab after only blanks indents); Up/Down move between lines
/// and, on the first/last line, through the history; Ctrl+C discards the cell; Ctrl+D on an empty cell ends the input.
/// Emacs-style keys: Ctrl+A/E (line start/end), Ctrl+K/U (kill to end/start of line), Ctrl+W (kill word), Ctrl+L
/// (clear screen). The cell is redrawn in place on each key with VT sequences; lines wrap at the terminal's width.
/// </summary>
internal sealed class LineEditor
{
    private const string Indent = "    ";
    private readonly ITerminal _terminal;
    private readonly StringBuilder _text = new();
    private int _cursor;
    private int _cursorRow; // rows between the first row of the drawn cell and the row the cursor is on
    private string _prompt = "";
    private string _continuation = "";
    private bool _hidden;

    public LineEditor(ITerminal terminal) => _terminal = terminal;

    /// <summary>complete_request: the matches for the code at a cursor, or null when there are none (or no answer).</summary>
    public Func<string, int, CodeCompletion?>? Complete { get; set; }

    /// <summary>Whether a cell needs more lines: null = submit it; otherwise the indent its next line starts with.</summary>
    public Func<string, string?>? ContinuationIndent { get; set; }

    public InputHistory? History { get; set; }

    public static bool IsControlC(ConsoleKeyInfo key)
        => key.KeyChar == '\u0003' || (key.Key == ConsoleKey.C && key.Modifiers.HasFlag(ConsoleModifiers.Control) && !key.Modifiers.HasFlag(ConsoleModifiers.Alt));

    /// <summary>Reads a cell: completion, continuation lines and history as configured.</summary>
    public EditResult ReadCell(string prompt, string continuation) => Read(prompt, continuation, hidden: false, cell: true);

    /// <summary>Reads one line for the kernel's input(): no completion, continuation or history; a password is not shown.</summary>
    public EditResult ReadInput(string prompt, bool password) => Read(prompt, prompt, password, cell: false);

    private EditResult Read(string prompt, string continuation, bool hidden, bool cell)
    {
        _prompt = prompt;
        _continuation = continuation;
        _hidden = hidden;
        _text.Clear();
        _cursor = 0;
        _cursorRow = 0;
        if (cell) History?.Reset();
        Render();
        while (true)
        {
            var key = _terminal.ReadKey();
            if (IsControlC(key))
            {
                _cursor = _text.Length;
                Render();
                _terminal.Write("^C\r\n");
                return new EditResult(EditOutcome.Cancelled, "");
            }
            if (IsControl(key, ConsoleKey.D, '\u0004'))
            {
                if (_text.Length == 0)
                {
                    _terminal.Write("\r\n");
                    return new EditResult(EditOutcome.EndOfInput, "");
                }
                Delete();
                continue;
            }
            if (key.Key == ConsoleKey.Enter || key.KeyChar is '\r' or '\n')
            {
                if (cell && key.Modifiers.HasFlag(ConsoleModifiers.Alt))
                {
                    Insert("\n" + LeadingBlanks(CurrentLine()));
                    continue;
                }
                if (cell && NeedsAnotherLine(out var indent))
                {
                    Insert("\n" + indent);
                    continue;
                }
                _cursor = _text.Length;
                Render();
                _terminal.Write("\r\n");
                var text = _text.ToString();
                if (cell) History?.Add(text);
                return new EditResult(EditOutcome.Accepted, text);
            }
            Handle(key, cell);
        }
    }

    private void Handle(ConsoleKeyInfo key, bool cell)
    {
        var control = key.Modifiers.HasFlag(ConsoleModifiers.Control);
        switch (key.Key)
        {
            case ConsoleKey.Tab when cell && key.Modifiers == 0:
                CompleteAtCursor();
                return;
            case ConsoleKey.Backspace:
                if (_cursor > 0) { _text.Remove(--_cursor, 1); Render(); }
                return;
            case ConsoleKey.Delete:
                Delete();
                return;
            case ConsoleKey.LeftArrow:
                if (_cursor > 0) { _cursor--; Render(); }
                return;
            case ConsoleKey.RightArrow:
                if (_cursor < _text.Length) { _cursor++; Render(); }
                return;
            case ConsoleKey.Home:
                MoveTo(LineStart(_cursor));
                return;
            case ConsoleKey.End:
                MoveTo(LineEnd(_cursor));
                return;
            case ConsoleKey.UpArrow:
                if (LineStart(_cursor) > 0) MoveVertically(up: true);
                else if (cell) Recall(History?.Previous(_text.ToString()));
                return;
            case ConsoleKey.DownArrow:
                if (LineEnd(_cursor) < _text.Length) MoveVertically(up: false);
                else if (cell) Recall(History?.Next());
                return;
            case ConsoleKey.Escape:
                _text.Clear();
                _cursor = 0;
                Render();
                return;
        }
        if (control)
        {
            switch (key.Key)
            {
                case ConsoleKey.A: MoveTo(LineStart(_cursor)); return;
                case ConsoleKey.E: MoveTo(LineEnd(_cursor)); return;
                case ConsoleKey.B: if (_cursor > 0) MoveTo(_cursor - 1); return;
                case ConsoleKey.F: if (_cursor < _text.Length) MoveTo(_cursor + 1); return;
                case ConsoleKey.K: Kill(_cursor, LineEnd(_cursor)); return;
                case ConsoleKey.U: Kill(LineStart(_cursor), _cursor); return;
                case ConsoleKey.W: Kill(WordStart(), _cursor); return;
                case ConsoleKey.H: if (_cursor > 0) { _text.Remove(--_cursor, 1); Render(); } return;
                case ConsoleKey.O: if (cell) Insert("\n"); return;
                case ConsoleKey.L:
                    _terminal.Write("\x1b[H\x1b[2J");
                    _cursorRow = 0;
                    Render();
                    return;
                case ConsoleKey.P: if (cell) Recall(History?.Previous(_text.ToString())); return;
                case ConsoleKey.N: if (cell) Recall(History?.Next()); return;
            }
            return;
        }
        if (key.KeyChar == '\t' && cell) { CompleteAtCursor(); return; }
        if (key.KeyChar != '\0' && !char.IsControl(key.KeyChar)) Insert(key.KeyChar.ToString());
    }

    private static bool IsControl(ConsoleKeyInfo key, ConsoleKey letter, char code)
        => key.KeyChar == code || (key.Key == letter && key.Modifiers.HasFlag(ConsoleModifiers.Control) && !key.Modifiers.HasFlag(ConsoleModifiers.Alt));

    // ---------------------------------------------------------------- editing

    private void Insert(string text)
    {
        _text.Insert(_cursor, text);
        _cursor += text.Length;
        Render();
    }

    private void Delete()
    {
        if (_cursor >= _text.Length) return;
        _text.Remove(_cursor, 1);
        Render();
    }

    private void Kill(int from, int to)
    {
        if (to <= from) return;
        _text.Remove(from, to - from);
        _cursor = from;
        Render();
    }

    private void MoveTo(int position)
    {
        _cursor = Math.Clamp(position, 0, _text.Length);
        Render();
    }

    private void Recall(string? entry)
    {
        if (entry is null) return;
        _text.Clear().Append(entry);
        _cursor = _text.Length;
        Render();
    }

    private void MoveVertically(bool up)
    {
        var start = LineStart(_cursor);
        var column = _cursor - start;
        var target = up ? LineStart(start - 1) : LineEnd(_cursor) + 1;
        MoveTo(Math.Min(target + column, LineEnd(target)));
    }

    private int LineStart(int position)
    {
        var i = Math.Clamp(position, 0, _text.Length);
        while (i > 0 && _text[i - 1] != '\n') i--;
        return i;
    }

    private int LineEnd(int position)
    {
        var i = Math.Clamp(position, 0, _text.Length);
        while (i < _text.Length && _text[i] != '\n') i++;
        return i;
    }

    private int WordStart()
    {
        var i = _cursor;
        while (i > 0 && char.IsWhiteSpace(_text[i - 1]) && _text[i - 1] != '\n') i--;
        while (i > 0 && !char.IsWhiteSpace(_text[i - 1])) i--;
        return i;
    }

    private string CurrentLine()
    {
        var start = LineStart(_cursor);
        return _text.ToString(start, LineEnd(_cursor) - start);
    }

    private static string LeadingBlanks(string line) => line[..(line.Length - line.TrimStart(' ', '\t').Length)];

    /// <summary>
    /// Enter inside a cell (not on its last line) adds a line. On the last line the kernel decides (is_complete); two
    /// blank lines at the end submit whatever the kernel says, so a cell can always be sent (and its error seen).
    /// </summary>
    private bool NeedsAnotherLine(out string indent)
    {
        indent = "";
        if (LineEnd(_cursor) < _text.Length)
        {
            indent = LeadingBlanks(CurrentLine());
            return true;
        }
        var text = _text.ToString();
        if (text.Trim().Length == 0) return false;
        var lines = text.Split('\n');
        if (lines.Length >= 3 && lines[^1].Trim().Length == 0 && lines[^2].Trim().Length == 0) return false;
        if (ContinuationIndent?.Invoke(text) is not { } more) return false;
        indent = more;
        return true;
    }

    // ---------------------------------------------------------------- completion

    private void CompleteAtCursor()
    {
        var lineStart = LineStart(_cursor);
        if (_text.ToString(lineStart, _cursor - lineStart).Trim().Length == 0)
        {
            Insert(Indent);
            return;
        }
        var code = _text.ToString();
        if (Complete?.Invoke(code, _cursor) is not { Matches.Count: > 0 } completion) return;
        var start = Math.Clamp(completion.CursorStart, 0, code.Length);
        var end = Math.Clamp(Math.Max(completion.CursorEnd, start), start, code.Length);
        var matches = completion.Matches.Where(m => m.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        if (matches.Count == 0) return;
        var typed = code[start..end];
        var replacement = matches.Count == 1 ? matches[0] : CommonPrefix(matches);
        if (replacement.Length > typed.Length || (matches.Count == 1 && replacement != typed))
        {
            _text.Remove(start, end - start).Insert(start, replacement);
            _cursor = start + replacement.Length;
            Render();
            return;
        }
        if (matches.Count == 1) return;
        // Nothing more to insert: show the choices under the cell and draw the cell again below them.
        var cursor = _cursor;
        _cursor = _text.Length;
        Render();
        _terminal.Write("\r\n" + CompletionListing.Format(matches, completion.Types, _terminal.Width));
        _cursorRow = 0;
        _cursor = cursor;
        Render();
    }

    private static string CommonPrefix(IReadOnlyList<string> values)
    {
        var prefix = values[0];
        foreach (var value in values)
        {
            var n = 0;
            while (n < prefix.Length && n < value.Length && prefix[n] == value[n]) n++;
            prefix = prefix[..n];
        }
        return prefix;
    }

    // ---------------------------------------------------------------- drawing

    /// <summary>
    /// Draws the cell from its first row: back to that row, clear to the end of the screen, each line after its prompt,
    /// then the cursor where it belongs. A line as long as a multiple of the width leaves the terminal's cursor pending
    /// at the last column; a line break after it puts the next line (or the cursor) on the row below, as counted.
    /// </summary>
    private void Render()
    {
        var width = _terminal.Width;
        var output = new StringBuilder();
        if (_cursorRow > 0) output.Append("\x1b[").Append(_cursorRow).Append('A');
        output.Append("\r\x1b[J");
        var text = _text.ToString();
        int row = 0, cursorRow = 0, cursorColumn = 0, endRow = 0, endColumn = 0, offset = 0;
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var prompt = i == 0 ? _prompt : _continuation;
            var shown = _hidden ? "" : Printable(lines[i]);
            output.Append(prompt).Append(shown);
            var length = prompt.Length + shown.Length;
            if (_cursor >= offset && _cursor <= offset + lines[i].Length)
            {
                var position = prompt.Length + (_hidden ? 0 : _cursor - offset);
                cursorRow = row + position / width;
                cursorColumn = position % width;
            }
            var rows = length == 0 ? 1 : (length + width - 1) / width;
            var wrapsPending = length > 0 && length % width == 0;
            if (i < lines.Length - 1)
            {
                output.Append("\r\n");
                row += rows;
            }
            else if (wrapsPending)
            {
                output.Append("\r\n");
                endRow = row + rows;
                endColumn = 0;
            }
            else
            {
                endRow = row + rows - 1;
                endColumn = length - (rows - 1) * width;
            }
            offset += lines[i].Length + 1;
        }
        if (endRow > cursorRow) output.Append("\x1b[").Append(endRow - cursorRow).Append('A');
        if (endRow != cursorRow || endColumn != cursorColumn)
        {
            output.Append('\r');
            if (cursorColumn > 0) output.Append("\x1b[").Append(cursorColumn).Append('C');
        }
        _cursorRow = cursorRow;
        _terminal.Write(output.ToString());
    }

    /// <summary>One screen cell per character: tabs and other control characters show as a blank, so the cursor
    /// arithmetic holds.</summary>
    private static string Printable(string line)
    {
        foreach (var c in line)
        {
            if (char.IsControl(c)) return string.Create(line.Length, line, static (span, s) =>
            {
                for (var i = 0; i < s.Length; i++) span[i] = char.IsControl(s[i]) ? ' ' : s[i];
            });
        }
        return line;
    }
}
