using System.Text;
using JupyterKernels.Transport.Zmq;

namespace JupyterKernels.Tests.Zmtp;

public class CodecTests
{
    private static byte[] H(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    [Fact]
    public void Greeting_has_signature_version_and_null_mechanism()
    {
        var g = Greeting.Build();
        Assert.Equal(64, g.Length);
        Assert.Equal(0xFF, g[0]);
        Assert.Equal(0x7F, g[9]);
        Assert.Equal(3, g[10]);
        Assert.Equal(1, g[11]);
        Assert.Equal("NULL", Encoding.ASCII.GetString(g, 12, 4));
        Assert.All(g[16..64], b => Assert.Equal(0, b));
        Assert.Equal((3, 1), Greeting.Parse(g));
    }

    [Theory]
    [InlineData(3, 0, 0)]
    [InlineData(3, 1, 1)]
    [InlineData(3, 2, 1)]
    [InlineData(4, 0, 1)]
    public void Version_negotiation_takes_the_lower_minor(int major, int minor, int expected)
    {
        var g = Greeting.Build();
        g[10] = (byte)major;
        g[11] = (byte)minor;
        var (ma, mi) = Greeting.Parse(g);
        Assert.Equal(expected, Greeting.NegotiateMinor(ma, mi));
    }

    [Fact]
    public void Greeting_padding_is_not_significant()
    {
        var g = Greeting.Build();
        g[8] = 0x25; // libzmq: routing id size + 1
        g[3] = 0x77;
        Assert.Equal((3, 1), Greeting.Parse(g));
    }

    [Theory]
    [InlineData(0, 0x00)]   // bad signature
    [InlineData(9, 0x7E)]   // not versioned
    [InlineData(10, 0x02)]  // ZMTP 2.0
    [InlineData(12, (int)'P')] // PLAIN-ish mechanism
    [InlineData(20, 0x41)]  // garbage in mechanism padding
    public void Bad_greetings_are_rejected(int offset, int value)
    {
        var g = Greeting.Build();
        g[offset] = (byte)value;
        Assert.Throws<ZmtpProtocolException>(() => Greeting.Parse(g));
    }

    [Fact]
    public void Partial_greeting_is_rejected_early()
    {
        Assert.Throws<ZmtpProtocolException>(() => Greeting.ValidatePartial(new byte[] { 0x47 })); // 'G' of "GET /"
        Greeting.ValidatePartial(new byte[] { 0xFF, 0, 0 });
    }

    [Theory]
    [InlineData(0, "00 00")]
    [InlineData(1, "00 01")]
    [InlineData(255, "00 FF")]
    [InlineData(256, "02 00 00 00 00 00 00 01 00")]
    public void Frame_header_uses_short_form_up_to_255(int size, string header)
    {
        var wire = FrameEncoder.EncodeMessage(null, new ReadOnlyMemory<byte>[] { new byte[size] });
        Assert.Equal(H(header), wire[..H(header).Length]);
        Assert.Equal(H(header).Length + size, wire.Length);
    }

    [Fact]
    public void Multipart_sets_more_on_all_but_last()
    {
        var wire = FrameEncoder.EncodeMessage(new ReadOnlyMemory<byte>[] { ReadOnlyMemory<byte>.Empty },
            new ReadOnlyMemory<byte>[] { "ab"u8.ToArray(), "c"u8.ToArray() });
        Assert.Equal(H("01 00 01 02 61 62 00 01 63"), wire);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(255)]
    [InlineData(256)]
    [InlineData(70000)]
    [InlineData(3 * 1024 * 1024 + 5)] // exercises body growth past the initial 1 MiB chunk
    public void Frames_round_trip_whole_and_byte_by_byte(int size)
    {
        var body = T.Payload(size, 7);
        var wire = FrameEncoder.EncodeMessage(null, new ReadOnlyMemory<byte>[] { body, "x"u8.ToArray() });

        var frames = DecodeAll(new FrameDecoder(long.MaxValue), wire, chunk: wire.Length);
        Assert.Equal(2, frames.Count);
        Assert.True(frames[0].More);
        Assert.False(frames[1].More);
        Assert.Equal(body, frames[0].Body);

        if (size < 100_000)
        {
            var slow = DecodeAll(new FrameDecoder(long.MaxValue), wire, chunk: 1);
            Assert.Equal(body, slow[0].Body);
            Assert.Equal("x"u8.ToArray(), slow[1].Body);
        }
        else
        {
            var mid = DecodeAll(new FrameDecoder(long.MaxValue), wire, chunk: 4093);
            Assert.Equal(body, mid[0].Body);
        }
    }

    [Fact]
    public void Long_form_with_small_size_is_accepted()
    {
        var frames = DecodeAll(new FrameDecoder(1000), H("02 00 00 00 00 00 00 00 02 41 42"), 100);
        Assert.Equal("AB"u8.ToArray(), frames[0].Body);
    }

    [Theory]
    [InlineData("02 40 00 00 00 00 00 00 00")] // 2^62
    [InlineData("02 80 00 00 00 00 00 00 00")] // top bit set
    [InlineData("02 00 00 00 00 00 00 04 01")] // 1025 > max 1024
    [InlineData("05 01 41")]                   // MORE on a command
    [InlineData("08 01 41")]                   // reserved bit
    [InlineData("04 00")]                      // empty command
    public void Bad_frames_are_protocol_errors(string hex)
    {
        var decoder = new FrameDecoder(1024);
        Assert.Throws<ZmtpProtocolException>(() => decoder.TryDecode(H(hex), out _, out _));
    }

    [Fact]
    public void Large_declared_size_allocates_only_what_arrives()
    {
        var decoder = new FrameDecoder(256L * 1024 * 1024);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.False(decoder.TryDecode(H("02 00 00 00 00 0F 00 00 00 41 41"), out int used, out _)); // 240 MiB declared
        Assert.Equal(11, used);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 2 * 1024 * 1024);
    }

    [Fact]
    public void Ready_matches_libzmq_dealer_vector()
    {
        var ready = ZmtpCommands.BuildReady("DEALER", ReadOnlySpan<byte>.Empty, includeIdentity: true);
        Assert.Equal(H("04 29 05 52454144 59 0B 536F636B65742D54797065 00000006 4445414C4552 08 4964656E74697479 00000000"), ready);
        var sub = ZmtpCommands.BuildReady("SUB", ReadOnlySpan<byte>.Empty, includeIdentity: false);
        Assert.Equal(27, sub.Length);
        Assert.Equal(0x19, sub[1]);
    }

    [Fact]
    public void Ready_metadata_parses_case_insensitively_and_rejects_overruns()
    {
        var ready = ZmtpCommands.BuildReady("ROUTER", "me"u8, includeIdentity: true);
        ZmtpCommands.Split(ready.AsSpan(2), out var name, out var data);
        Assert.True(name.SequenceEqual("READY"u8));
        var md = ZmtpCommands.ParseMetadata(data);
        Assert.Equal("ROUTER", Encoding.ASCII.GetString(md["socket-type"]));
        Assert.Equal("me", Encoding.ASCII.GetString(md["IDENTITY"]));

        Assert.Throws<ZmtpProtocolException>(() => ZmtpCommands.ParseMetadata(H("01 41 00 00 00 05 42")));
        Assert.Throws<ZmtpProtocolException>(() => ZmtpCommands.ParseMetadata(H("00")));
        Assert.Throws<ZmtpProtocolException>(() => ZmtpCommands.ParseMetadata(H("05 41")));
        Assert.Throws<ZmtpProtocolException>(() => ZmtpCommands.Split(H("09 41"), out _, out _));
    }

    [Fact]
    public void Subscriptions_use_command_for_31_and_message_for_30()
    {
        Assert.Equal(H("04 0A 09 535542534352494245"), ZmtpCommands.BuildSubscription(true, ReadOnlySpan<byte>.Empty, 1));
        Assert.Equal(H("04 0B 09 535542534352494245 41"), ZmtpCommands.BuildSubscription(true, "A"u8, 1));
        Assert.Equal(H("04 08 06 43414E43454C 41"), ZmtpCommands.BuildSubscription(false, "A"u8, 1));
        Assert.Equal(H("00 01 01"), ZmtpCommands.BuildSubscription(true, ReadOnlySpan<byte>.Empty, 0));
        Assert.Equal(H("00 02 01 41"), ZmtpCommands.BuildSubscription(true, "A"u8, 0));
        Assert.Equal(H("00 02 00 41"), ZmtpCommands.BuildSubscription(false, "A"u8, 0));
    }

    [Fact]
    public void Pong_echoes_at_most_16_bytes_of_context()
    {
        Assert.Equal(H("04 05 04 504F4E47"), ZmtpCommands.BuildPong(H("00 00")));
        var pong = ZmtpCommands.BuildPong(new byte[2 + 20]);
        Assert.Equal(2 + 5 + 16, pong.Length);
    }

    [Fact]
    public void Command_frames_decode_as_commands()
    {
        var frames = DecodeAll(new FrameDecoder(1024), H("04 07 04 50494E47 00 00"), 3);
        Assert.True(frames[0].IsCommand);
        ZmtpCommands.Split(frames[0].Body, out var name, out var data);
        Assert.True(name.SequenceEqual("PING"u8));
        Assert.Equal(2, data.Length);
    }

    internal static List<ZmtpFrame> DecodeAll(FrameDecoder decoder, byte[] wire, int chunk)
    {
        var frames = new List<ZmtpFrame>();
        var pending = new List<byte>();
        for (int pos = 0; pos < wire.Length; pos += chunk)
        {
            pending.AddRange(wire.AsSpan(pos, Math.Min(chunk, wire.Length - pos)).ToArray());
            while (true)
            {
                var arr = pending.ToArray();
                bool done = decoder.TryDecode(arr, out int used, out var frame);
                pending.RemoveRange(0, used);
                if (done) { frames.Add(frame); continue; }
                break;
            }
        }
        return frames;
    }
}
