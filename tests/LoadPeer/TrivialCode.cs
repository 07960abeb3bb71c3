using System.Globalization;

namespace JupyterKernels.LoadPeer;

/// <summary>
/// What a virtual kernel can run: an integer expression (<c>+ - * // %</c>, parentheses, unary minus) whose value
/// becomes execute_result text/plain, <c>print(expr)</c> which becomes a stdout stream, or nothing (blank code).
/// Anything else is a <c>SyntaxError</c>; overflow and division by zero are errors too, as a kernel would report them.
/// </summary>
internal static class TrivialCode
{
    public readonly record struct Outcome(string? Value, string? Printed, (string Name, string Value)? Error);

    public static Outcome Run(string code)
    {
        var text = code.Trim();
        if (text.Length == 0) return new Outcome(null, null, null);
        bool print = text.StartsWith("print(", StringComparison.Ordinal) && text.EndsWith(')');
        if (print) text = text[6..^1];
        try
        {
            var parser = new Parser(text);
            long value = parser.ParseExpression();
            parser.ExpectEnd();
            var shown = value.ToString(CultureInfo.InvariantCulture);
            return print ? new Outcome(null, shown + "\n", null) : new Outcome(shown, null, null);
        }
        catch (FormatException e) { return new Outcome(null, null, ("SyntaxError", e.Message)); }
        catch (DivideByZeroException) { return new Outcome(null, null, ("ZeroDivisionError", "integer division or modulo by zero")); }
        catch (OverflowException) { return new Outcome(null, null, ("OverflowError", "integer out of 64-bit range")); }
    }

    private ref struct Parser(string text)
    {
        private readonly string _text = text;
        private int _pos;

        public long ParseExpression()
        {
            long value = ParseTerm();
            while (true)
            {
                SkipBlanks();
                if (Take('+')) value = checked(value + ParseTerm());
                else if (Take('-')) value = checked(value - ParseTerm());
                else return value;
            }
        }

        private long ParseTerm()
        {
            long value = ParseUnary();
            while (true)
            {
                SkipBlanks();
                if (Take('*')) value = checked(value * ParseUnary());
                else if (Take('/')) { if (!Take('/')) throw new FormatException("only integer division // is supported"); value = FloorDiv(value, ParseUnary()); }
                else if (Take('%')) value = FloorMod(value, ParseUnary());
                else return value;
            }
        }

        private long ParseUnary()
        {
            SkipBlanks();
            if (Take('-')) return checked(-ParseUnary());
            if (Take('+')) return ParseUnary();
            if (Take('('))
            {
                long inner = ParseExpression();
                SkipBlanks();
                if (!Take(')')) throw new FormatException("')' expected");
                return inner;
            }
            int start = _pos;
            while (_pos < _text.Length && char.IsAsciiDigit(_text[_pos])) _pos++;
            if (start == _pos) throw new FormatException($"invalid syntax at position {start}");
            return long.Parse(_text.AsSpan(start, _pos - start), NumberStyles.None, CultureInfo.InvariantCulture);
        }

        public void ExpectEnd()
        {
            SkipBlanks();
            if (_pos != _text.Length) throw new FormatException($"invalid syntax at position {_pos}");
        }

        private bool Take(char c)
        {
            if (_pos < _text.Length && _text[_pos] == c) { _pos++; return true; }
            return false;
        }

        private void SkipBlanks()
        {
            while (_pos < _text.Length && _text[_pos] == ' ') _pos++;
        }

        // Python semantics: // and % round toward negative infinity.
        private static long FloorDiv(long a, long b)
        {
            long q = a / b;
            return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
        }

        private static long FloorMod(long a, long b)
        {
            long m = a % b;
            return (m != 0 && (m < 0) != (b < 0)) ? m + b : m;
        }
    }
}
