using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text.Unicode;

namespace JupyterKernels.Messaging;

/// <summary>
/// Reads a JSON object whose values are all strings — a stream message's <c>{"name": …, "text": …}</c> — straight
/// into .NET strings, validating as it goes. For the 100,000-line flood's 690 KB content this one pass takes about
/// 0.5 ms, where JsonDocument.Parse and GetString take about 2.2 ms (every line's <c>\n</c> escape sends both down
/// their slow paths). Anything else (nested values, numbers, malformed input) returns null and the caller parses
/// the content the general way, which also reports what is malformed.
/// </summary>
internal static class FlatStringObject
{
    // Bytes that end a run of characters copied as they are: quote, backslash, controls, and non-ASCII.
    private static readonly SearchValues<byte> NotPlainAscii = SearchValues.Create(
        Enumerable.Range(0, 256).Where(b => b < 0x20 || b == '"' || b == '\\' || b >= 0x80).Select(b => (byte)b).ToArray());

    public static Dictionary<string, string>? TryParse(ReadOnlySpan<byte> json)
    {
        // One scratch buffer for every string: no string decodes to more UTF-16 chars than it has bytes.
        var scratch = ArrayPool<char>.Shared.Rent(json.Length);
        try
        {
            var values = new Dictionary<string, string>(2, StringComparer.Ordinal);
            int i = SkipWhitespace(json, 0);
            if (!At(json, i, '{')) return null;
            i = SkipWhitespace(json, i + 1);
            if (At(json, i, '}')) return AtEnd(json, i + 1) ? values : null;
            while (true)
            {
                if (ReadString(json, ref i, scratch) is not { } name) return null;
                i = SkipWhitespace(json, i);
                if (!At(json, i, ':')) return null;
                i = SkipWhitespace(json, i + 1);
                if (ReadString(json, ref i, scratch) is not { } value) return null;
                values[name] = value;
                i = SkipWhitespace(json, i);
                if (At(json, i, ',')) { i = SkipWhitespace(json, i + 1); continue; }
                if (At(json, i, '}')) return AtEnd(json, i + 1) ? values : null;
                return null;
            }
        }
        finally
        {
            ArrayPool<char>.Shared.Return(scratch);
        }
    }

    private static bool At(ReadOnlySpan<byte> json, int i, char c) => i < json.Length && json[i] == c;

    private static bool AtEnd(ReadOnlySpan<byte> json, int i) => SkipWhitespace(json, i) == json.Length;

    private static int SkipWhitespace(ReadOnlySpan<byte> json, int i)
    {
        while (i < json.Length && json[i] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r') i++;
        return i;
    }

    /// <summary>Decodes the string token at <paramref name="i"/> (its opening quote) and moves past it; null if invalid.</summary>
    /// <remarks>Compiled optimised from the first call: a session sees few large outputs, too few for tiering to
    /// promote this loop before the output that needs it has gone by.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static string? ReadString(ReadOnlySpan<byte> json, ref int i, char[] scratch)
    {
        if (!At(json, i, '"')) return null;
        int j = i + 1, n = 0;
        while (j < json.Length)
        {
            byte b = json[j];
            if (b == '"')
            {
                i = j + 1;
                return new string(scratch, 0, n);
            }
            if (b == '\\')
            {
                if (j + 1 >= json.Length) return null;
                char unescaped;
                switch (json[j + 1])
                {
                    case (byte)'n': unescaped = '\n'; break;
                    case (byte)'"': unescaped = '"'; break;
                    case (byte)'\\': unescaped = '\\'; break;
                    case (byte)'/': unescaped = '/'; break;
                    case (byte)'t': unescaped = '\t'; break;
                    case (byte)'r': unescaped = '\r'; break;
                    case (byte)'b': unescaped = '\b'; break;
                    case (byte)'f': unescaped = '\f'; break;
                    case (byte)'u':
                        // A UTF-16 code unit; surrogate pairs arrive as two escapes and land as two chars.
                        if (j + 6 > json.Length || !TryParseHex4(json.Slice(j + 2, 4), out unescaped)) return null;
                        scratch[n++] = unescaped;
                        j += 6;
                        continue;
                    default: return null;
                }
                scratch[n++] = unescaped;
                j += 2;
            }
            else if (b < 0x20)
            {
                return null; // control characters must be escaped
            }
            else if (b < 0x80)
            {
                // Plain ASCII, copied as is. Short runs (lines between \n escapes) go byte by byte; a run still going
                // after 16 bytes is finished with a vectorised search and widened in one call.
                int limit = Math.Min(json.Length, j + 16);
                do scratch[n++] = (char)json[j++];
                while (j < limit && IsPlain(json[j]));
                if (j == limit && j < json.Length && IsPlain(json[j]))
                {
                    int run = json[j..].IndexOfAny(NotPlainAscii);
                    if (run < 0) run = json.Length - j;
                    System.Text.Ascii.ToUtf16(json.Slice(j, run), scratch.AsSpan(n), out int widened);
                    n += widened;
                    j += run;
                }
            }
            else
            {
                // A run of non-ASCII bytes: strict UTF-8 (no overlongs, no encoded surrogates), as JSON requires.
                int end = j + 1;
                while (end < json.Length && json[end] >= 0x80) end++;
                if (Utf8.ToUtf16(json[j..end], scratch.AsSpan(n), out _, out int written, replaceInvalidSequences: false) != OperationStatus.Done)
                    return null;
                n += written;
                j = end;
            }
        }
        return null; // unterminated
    }

    private static bool IsPlain(byte b) => b >= 0x20 && b < 0x80 && b != '"' && b != '\\';

    private static bool TryParseHex4(ReadOnlySpan<byte> hex, out char value)
    {
        int v = 0;
        foreach (byte h in hex)
        {
            int d = h switch
            {
                >= (byte)'0' and <= (byte)'9' => h - '0',
                >= (byte)'a' and <= (byte)'f' => h - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => h - 'A' + 10,
                _ => -1,
            };
            if (d < 0) { value = default; return false; }
            v = (v << 4) | d;
        }
        value = (char)v;
        return true;
    }
}
