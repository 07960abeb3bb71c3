using System.Diagnostics;
using JupyterKernels.Transport.Zmq;

namespace JupyterKernels.Tests.Zmtp;

/// <summary>
/// Feeds random and mutated byte streams to the greeting validator, frame decoder and command parsers,
/// in random chunkings. The only acceptable failure is <see cref="ZmtpProtocolException"/>; every input
/// must finish (the decoder always consumes or asks for more).
/// </summary>
public class FuzzTests
{
    private const int Iterations = 120_000;

    [Fact]
    public void Decoder_survives_random_and_mutated_inputs()
    {
        var rng = new Random(20261122);
        var seeds = BuildSeeds();
        var sw = Stopwatch.StartNew();
        int protocolErrors = 0, frames = 0;
        for (int iter = 0; iter < Iterations; iter++)
        {
            byte[] input = (iter % 4) switch
            {
                0 => RandomBytes(rng, rng.Next(0, 64)),
                _ => Mutate(rng, seeds[rng.Next(seeds.Length)]),
            };
            try
            {
                frames += Run(input, rng);
            }
            catch (ZmtpProtocolException)
            {
                protocolErrors++;
            }
        }
        sw.Stop();
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20), $"fuzzing took {sw.Elapsed}");
        Assert.True(protocolErrors > 1000 && frames > 1000, $"coverage: {protocolErrors} errors, {frames} frames");
    }

    /// <summary>Greeting first if the input looks like one, then frames in random chunks, then commands.</summary>
    private static int Run(byte[] input, Random rng)
    {
        var span = input.AsSpan();
        if (span.Length > 0 && span[0] == 0xFF)
        {
            int g = Math.Min(span.Length, Greeting.Size);
            Greeting.ValidatePartial(span[..g]);
            if (g < Greeting.Size) return 0;
            var (major, minor) = Greeting.Parse(span[..Greeting.Size]);
            Greeting.NegotiateMinor(major, minor);
            span = span[Greeting.Size..];
        }
        var decoder = new FrameDecoder(rng.Next(2) == 0 ? 4096 : 1L << 62);
        var pending = new byte[span.Length];
        int have = 0, pos = 0, count = 0;
        int guard = 0;
        while (pos < span.Length || have > 0)
        {
            if (++guard > 10 * (span.Length + 10)) throw new Xunit.Sdk.XunitException("decoder made no progress");
            int take = Math.Min(span.Length - pos, rng.Next(1, 40));
            span.Slice(pos, take).CopyTo(pending.AsSpan(have));
            have += take;
            pos += take;
            bool progressed = true;
            while (progressed && have > 0)
            {
                bool done = decoder.TryDecode(pending.AsSpan(0, have), out int used, out var frame);
                if (used < 0 || used > have) throw new Xunit.Sdk.XunitException("bad consumed count");
                Buffer.BlockCopy(pending, used, pending, 0, have - used);
                have -= used;
                progressed = done || used > 0;
                if (done)
                {
                    count++;
                    if (frame.IsCommand)
                    {
                        ZmtpCommands.Split(frame.Body, out var name, out var data);
                        if (name.SequenceEqual("READY"u8)) ZmtpCommands.ParseMetadata(data);
                    }
                }
            }
            if (pos >= span.Length) break; // leftover partial frame at end of input: fine
        }
        return count;
    }

    private static byte[][] BuildSeeds()
    {
        var ready = ZmtpCommands.BuildReady("DEALER", "id"u8, true);
        var msg = FrameEncoder.EncodeMessage(null, new ReadOnlyMemory<byte>[] { new byte[3], new byte[300], Array.Empty<byte>() });
        var sub = ZmtpCommands.BuildSubscription(true, "topic"u8, 1);
        var ping = ZmtpCommands.BuildPong(new byte[10]);
        return new[]
        {
            Greeting.Build().Concat(ready).Concat(msg).ToArray(),
            Greeting.Build(0).Concat(ready).Concat(sub).ToArray(),
            ready.Concat(msg).Concat(ping).ToArray(),
            msg,
            sub.Concat(msg).ToArray(),
        };
    }

    private static byte[] RandomBytes(Random rng, int n)
    {
        var b = new byte[n];
        rng.NextBytes(b);
        return b;
    }

    private static byte[] Mutate(Random rng, byte[] seed)
    {
        var list = new List<byte>(seed);
        int mutations = rng.Next(1, 6);
        for (int m = 0; m < mutations; m++)
        {
            switch (rng.Next(5))
            {
                case 0 when list.Count > 0: list[rng.Next(list.Count)] = (byte)rng.Next(256); break;
                case 1 when list.Count > 0: list[rng.Next(list.Count)] ^= (byte)(1 << rng.Next(8)); break;
                case 2: list.Insert(rng.Next(list.Count + 1), (byte)rng.Next(256)); break;
                case 3 when list.Count > 0: list.RemoveRange(rng.Next(list.Count), 1); break;
                case 4 when list.Count > 0: { int at = rng.Next(list.Count); list.RemoveRange(at, Math.Min(4, list.Count - at)); break; }
            }
        }
        return list.ToArray();
    }
}
