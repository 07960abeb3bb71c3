using System.Buffers.Binary;
using System.Text;
using JupyterKernels.Messaging;
using JupyterKernels.Providers.Gateway;
using Xunit.Abstractions;

namespace JupyterKernels.Tests.Fuzz;

/// <summary>
/// The two Jupyter Server WebSocket framings (v1 binary, legacy JSON text and binary) under random and mutated frames
/// with fixed seeds: the only error path is a <c>WebSocketDecodeResult</c> with an Error (never an exception), no
/// input hangs, and no parse allocates in proportion to a length or count the frame merely claims.
/// </summary>
public sealed class WebSocketFramingFuzzTests(ITestOutputHelper output)
{
    [Fact]
    public void V1_frames_random_and_mutated_never_throw_and_allocate_only_in_proportion_to_the_input()
    {
        var rng = new Random(0x5EED_0101);
        var seeds = Messages().Select(m => WebSocketV1Framing.Serialize(m.Channel, m.Message)).ToList();
        int ok = 0, failed = 0;
        var stats = FuzzSupport.Run(FuzzSupport.Iterations, i => (i % 4) switch
        {
            0 => RandomV1(rng),
            1 => FuzzSupport.RandomBytes(rng, rng.Next(0, 128)),
            _ => FuzzSupport.Mutate(rng, seeds[rng.Next(seeds.Count)], 6),
        }, f => f.Length, (i, frame) =>
        {
            var result = WebSocketV1Framing.Deserialize(frame);
            if (result.Message is not null) { ok++; Assert.Null(result.Error); }
            else { failed++; Assert.False(string.IsNullOrEmpty(result.Error), $"input #{i}: no message and no error"); }
        });
        output.WriteLine($"{stats}; decoded {ok}, rejected {failed}");
        Assert.True(ok > 100 && failed > 10_000, $"decoded {ok}, rejected {failed}");
        Assert.True(stats.RepeatedExtraAllocation < 64 * 1024, stats.ToString());
    }

    [Fact]
    public void Legacy_text_and_binary_frames_random_and_mutated_never_throw()
    {
        var rng = new Random(0x5EED_0102);
        var texts = new List<byte[]>();
        var binaries = new List<byte[]>();
        foreach (var (channel, message) in Messages())
        {
            var (frame, binary) = WebSocketLegacyFraming.Serialize(channel, message);
            (binary ? binaries : texts).Add(frame);
        }
        Assert.NotEmpty(texts);
        Assert.NotEmpty(binaries);
        int ok = 0, failed = 0;
        var stats = FuzzSupport.Run(FuzzSupport.Iterations, i => (i % 6) switch
        {
            0 => (true, FuzzSupport.RandomBytes(rng, rng.Next(0, 96))),
            1 => (false, RandomLegacyBinary(rng)),
            2 or 3 => (true, FuzzSupport.Mutate(rng, texts[rng.Next(texts.Count)], 6)),
            _ => (false, FuzzSupport.Mutate(rng, binaries[rng.Next(binaries.Count)], 6)),
        }, x => x.Item2.Length, (i, x) =>
        {
            var result = x.Item1 ? WebSocketLegacyFraming.DeserializeText(x.Item2) : WebSocketLegacyFraming.DeserializeBinary(x.Item2);
            if (result.Message is not null) { ok++; Assert.Null(result.Error); }
            else { failed++; Assert.False(string.IsNullOrEmpty(result.Error), $"input #{i}: no message and no error"); }
        });
        output.WriteLine($"{stats}; decoded {ok}, rejected {failed}");
        Assert.True(ok > 100 && failed > 10_000, $"decoded {ok}, rejected {failed}");
        Assert.True(stats.RepeatedExtraAllocation < 64 * 1024, stats.ToString());
    }

    [Theory]
    [InlineData(65_536UL)]
    [InlineData(65_537UL)]
    [InlineData(uint.MaxValue + 1UL)]
    [InlineData(ulong.MaxValue)]
    public void V1_frame_claiming_a_huge_offset_count_is_rejected_without_allocating_for_it(ulong claimed)
    {
        var frame = new byte[64];
        BinaryPrimitives.WriteUInt64LittleEndian(frame, claimed);
        WebSocketV1Framing.Deserialize(frame); // warm-up
        long before = GC.GetAllocatedBytesForCurrentThread();
        var result = WebSocketV1Framing.Deserialize(frame);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Null(result.Message);
        Assert.NotNull(result.Error);
        Assert.True(allocated < 4096, $"allocated {allocated} B for a 64-byte frame");
    }

    [Fact]
    public void V1_offsets_past_the_end_or_out_of_order_are_rejected()
    {
        var good = WebSocketV1Framing.Serialize(KernelChannel.Shell, Messages()[0].Message);
        foreach (var (index, value) in new[] { (1, (ulong)good.Length + 1), (3, ulong.MaxValue), (6, 0UL), (2, 1UL), (6, (ulong)int.MaxValue + 5) })
        {
            var frame = (byte[])good.Clone();
            BinaryPrimitives.WriteUInt64LittleEndian(frame.AsSpan(8 * index), value);
            var result = WebSocketV1Framing.Deserialize(frame);
            Assert.Null(result.Message);
            Assert.NotNull(result.Error);
        }
    }

    [Fact]
    public void Legacy_binary_frame_claiming_a_huge_part_count_is_rejected_without_allocating_for_it()
    {
        var frame = new byte[64];
        foreach (var claimed in new uint[] { 65_536, 65_537, uint.MaxValue, 15 })
        {
            BinaryPrimitives.WriteUInt32BigEndian(frame, claimed);
            WebSocketLegacyFraming.DeserializeBinary(frame);
            long before = GC.GetAllocatedBytesForCurrentThread();
            var result = WebSocketLegacyFraming.DeserializeBinary(frame);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Null(result.Message);
            Assert.True(allocated < 4096, $"allocated {allocated} B for a 64-byte frame claiming {claimed} parts");
        }
    }

    private static byte[] RandomV1(Random rng)
    {
        // A plausible table (count 0..10 or huge) with offsets that are sometimes right, so parsing goes deep.
        int parts = rng.Next(0, 10);
        var frame = new byte[8 * (parts + 2) + rng.Next(0, 64)];
        rng.NextBytes(frame.AsSpan(8 * (parts + 2)));
        ulong count = rng.Next(10) == 0 ? (ulong)rng.NextInt64() : (ulong)(parts + 1);
        BinaryPrimitives.WriteUInt64LittleEndian(frame, count);
        ulong offset = (ulong)(8 * (parts + 2));
        for (int i = 0; i <= parts; i++)
        {
            ulong value = rng.Next(8) == 0 ? (ulong)rng.NextInt64() : offset;
            BinaryPrimitives.WriteUInt64LittleEndian(frame.AsSpan(8 * (i + 1)), value);
            offset = Math.Min((ulong)frame.Length, offset + (ulong)rng.Next(0, 12));
        }
        return frame;
    }

    private static byte[] RandomLegacyBinary(Random rng)
    {
        int parts = rng.Next(0, 6);
        var frame = new byte[4 * (parts + 1) + rng.Next(0, 64)];
        rng.NextBytes(frame.AsSpan(4 * (parts + 1)));
        BinaryPrimitives.WriteUInt32BigEndian(frame, rng.Next(10) == 0 ? (uint)rng.NextInt64() : (uint)parts);
        int offset = 4 * (parts + 1);
        for (int i = 0; i < parts; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4 * (i + 1)), rng.Next(8) == 0 ? (uint)rng.NextInt64() : (uint)offset);
            offset = Math.Min(frame.Length, offset + rng.Next(0, 12));
        }
        return frame;
    }

    private static List<(KernelChannel Channel, JupyterMessage Message)> Messages()
    {
        var factory = new MessageFactory("ws-fuzz", "fuzz");
        var request = factory.Create("execute_request", RequestContent.Execute("1+1", false, true, true, true));
        JupyterMessage M(string type, string json, params byte[][] buffers) => new()
        {
            Header = factory.Create(type, JupyterMessage.Empty).Header,
            ParentHeader = request.Header,
            Content = System.Text.Json.JsonDocument.Parse(json).RootElement,
            Buffers = buffers.Select(b => (ReadOnlyMemory<byte>)b).ToArray(),
        };
        return
        [
            (KernelChannel.Shell, request),
            (KernelChannel.IOPub, M("stream", "{\"name\":\"stdout\",\"text\":\"x\\n\"}")),
            (KernelChannel.Shell, M("execute_reply", "{\"status\":\"ok\",\"execution_count\":1}")),
            (KernelChannel.IOPub, M("comm_msg", "{\"comm_id\":\"c\",\"data\":{}}", [1, 2, 3], Encoding.UTF8.GetBytes("two"))),
            (KernelChannel.Control, M("kernel_info_reply", "{\"status\":\"ok\"}", [9])),
            (KernelChannel.Stdin, M("input_request", "{\"prompt\":\"? \",\"password\":false}")),
        ];
    }
}
