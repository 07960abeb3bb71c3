using System.Diagnostics;
using System.Text;

namespace JupyterKernels.Tests.Fuzz;

/// <summary>
/// Deterministic input generation for the parser fuzz tests: every test uses a fixed seed, so a failure names the
/// seed and iteration and is reproduced by running the test again.
/// </summary>
internal static class FuzzSupport
{
    /// <summary>Inputs per parser: the issue asks for at least 100,000.</summary>
    public const int Iterations = 100_000;

    /// <summary>Wall-time ceiling per fuzz run: "no hang" means the whole run ends well within this.</summary>
    public static readonly TimeSpan Budget = TimeSpan.FromSeconds(60);

    public static byte[] RandomBytes(Random rng, int length)
    {
        var bytes = new byte[length];
        rng.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Bit flips, byte overwrites with interesting values, insertions, deletions, truncation, duplication of a slice.</summary>
    public static byte[] Mutate(Random rng, byte[] seed, int maxMutations = 4)
    {
        var data = new List<byte>(seed);
        int mutations = 1 + rng.Next(maxMutations);
        for (int m = 0; m < mutations; m++)
        {
            switch (rng.Next(8))
            {
                case 0 when data.Count > 0:
                    data[rng.Next(data.Count)] ^= (byte)(1 << rng.Next(8));
                    break;
                case 1 when data.Count > 0:
                    data[rng.Next(data.Count)] = Interesting[rng.Next(Interesting.Length)];
                    break;
                case 2:
                    data.Insert(rng.Next(data.Count + 1), Interesting[rng.Next(Interesting.Length)]);
                    break;
                case 3 when data.Count > 0:
                    data.RemoveAt(rng.Next(data.Count));
                    break;
                case 4 when data.Count > 0:
                {
                    int start = rng.Next(data.Count);
                    data.RemoveRange(start, Math.Min(rng.Next(1, 8), data.Count - start));
                    break;
                }
                case 5 when data.Count > 0:
                {
                    int cut = rng.Next(data.Count);
                    data.RemoveRange(cut, data.Count - cut);
                    break;
                }
                case 6 when data.Count > 1:
                {
                    int start = rng.Next(data.Count), len = Math.Min(rng.Next(1, 16), data.Count - start);
                    data.InsertRange(rng.Next(data.Count), data.GetRange(start, len));
                    break;
                }
                default:
                    if (data.Count > 0) data[rng.Next(data.Count)] = (byte)rng.Next(256);
                    break;
            }
        }
        return data.ToArray();
    }

    /// <summary>Text mutation for the JSON file parsers: byte mutations of the UTF-8 plus JSON-significant tokens, and
    /// occasionally a lone surrogate or a deep nesting that a naive parser would choke on.</summary>
    public static string MutateText(Random rng, string seed)
    {
        switch (rng.Next(10))
        {
            case 0:
            {
                var sb = new StringBuilder(seed);
                int at = rng.Next(sb.Length + 1);
                sb.Insert(at, JsonTokens[rng.Next(JsonTokens.Length)]);
                return sb.ToString();
            }
            case 1:
            {
                var sb = new StringBuilder(seed);
                sb.Insert(rng.Next(sb.Length + 1), (char)rng.Next(0xD800, 0xE000)); // lone surrogate
                return sb.ToString();
            }
            case 2:
            {
                int depth = rng.Next(1, 300);
                var open = rng.Next(2) == 0 ? "[" : "{\"a\":";
                var close = open == "[" ? "]" : "}";
                var sb = new StringBuilder(seed);
                int at = rng.Next(sb.Length + 1);
                sb.Insert(at, string.Concat(Enumerable.Repeat(open, depth)) + "1" + string.Concat(Enumerable.Repeat(close, depth)));
                return sb.ToString();
            }
            default:
                return Encoding.UTF8.GetString(Mutate(rng, Encoding.UTF8.GetBytes(seed)));
        }
    }

    public static string RandomText(Random rng, int length)
    {
        var chars = new char[length];
        for (int i = 0; i < length; i++)
        {
            chars[i] = rng.Next(4) switch
            {
                0 => (char)rng.Next(0x20, 0x7F),
                1 => JsonChars[rng.Next(JsonChars.Length)],
                2 => (char)rng.Next(0, 0x20),
                _ => (char)rng.Next(0, 0x10000),
            };
        }
        return new string(chars);
    }

    private const string JsonChars = "{}[]\":,\\ntrufalse0123456789.-eE ";

    private static readonly byte[] Interesting = [0, 1, 0x7F, 0x80, 0xFF, (byte)'"', (byte)'{', (byte)'}', (byte)'[', (byte)']', (byte)',', (byte)':', (byte)'\\', 0xC0, 0xED, 0xF4];

    private static readonly string[] JsonTokens =
    [
        "null", "true", "false", "0", "-1", "1e999", "65536", "\"\"", "{}", "[]", ",", ":", "\"", "\\u0000", "\\ud800", "\\udc00\\ud800",
        "\"key\":", "\"shell_port\":", "\"argv\":", "\"env\":{\"A\":1}", "\"metadata\":[]", "\"transport\":\"ipc\"", "\"signature_scheme\":\"md5\"",
        "9999999999999999999999", "1.5", "\"\\uFFFF\"",
    ];

    /// <summary>
    /// Makes <paramref name="iterations"/> inputs and parses each, measuring only the parse: wall time (a hang fails
    /// the run at <see cref="Budget"/>) and the bytes the parse allocates beyond <paramref name="allowance"/> of the
    /// input's own size (a parser that trusts a claimed length allocates far more than the input).
    /// </summary>
    public static FuzzStats Run<T>(int iterations, Func<int, T> make, Func<T, int> sizeOf, Action<int, T> parse, int allowance = 16)
    {
        long maxExtra = long.MinValue, maxExtraAt = -1, secondExtra = long.MinValue, maxInput = 0;
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < iterations; i++)
        {
            var input = make(i);
            int size = sizeOf(input);
            maxInput = Math.Max(maxInput, size);
            long before = GC.GetAllocatedBytesForCurrentThread();
            parse(i, input);
            long extra = GC.GetAllocatedBytesForCurrentThread() - before - (long)allowance * size;
            // The first inputs pay for JIT and static initialisation on this thread.
            if (i >= 1000 && extra > secondExtra)
            {
                if (extra > maxExtra) { secondExtra = maxExtra; maxExtra = extra; maxExtraAt = i; }
                else secondExtra = extra;
            }
            if ((i & 1023) == 0 && sw.Elapsed > Budget)
                throw new Xunit.Sdk.XunitException($"fuzz run exceeded {Budget} at iteration {i}: a hang or a pathological input");
        }
        return new FuzzStats(iterations, sw.Elapsed, maxExtra, maxExtraAt, secondExtra, maxInput);
    }
}

/// <param name="RepeatedExtraAllocation">The second largest allocation beyond the allowance: what at least two inputs
/// cost. Tests bound this one. A parser that trusts a claimed length does so for every input of that shape, and 100,000
/// mutations make many. A single outlier is something else: one CI run of the whole suite charged 386 KB to one
/// 803-byte input, and the same input costs nothing beyond the allowance when the class runs alone.</param>
internal readonly record struct FuzzStats(int Iterations, TimeSpan Elapsed, long MaxExtraAllocation, long MaxExtraAllocationAt, long RepeatedExtraAllocation, long MaxInputSize)
{
    public override string ToString() => $"{Iterations} inputs in {Elapsed.TotalSeconds:0.00} s; max allocation beyond the input allowance {MaxExtraAllocation} B (input #{MaxExtraAllocationAt}), second largest {RepeatedExtraAllocation} B; largest input {MaxInputSize} B";
}
