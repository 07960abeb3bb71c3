using System.Security.Cryptography;
using System.Text;
using JupyterKernels.Messaging;
using Xunit.Abstractions;

namespace JupyterKernels.Tests.Fuzz;

/// <summary>
/// The Jupyter wire-format parser and signature check under random and mutated frame lists (fixed seeds): it never
/// throws, never delivers a message whose signature is not the HMAC of its four signed frames, and reports every
/// tampered message as BadSignature (or Malformed when the frame structure itself is gone).
/// </summary>
public sealed class WireFormatFuzzTests(ITestOutputHelper output)
{
    private const string Key = "fuzz-key-5d3c0a8e-6f9b-4c1e-9a51-0b7e2f4d8c11";
    private static readonly byte[] KeyBytes = Encoding.UTF8.GetBytes(Key);

    [Fact]
    public void Random_frame_lists_never_throw_and_are_never_delivered()
    {
        var rng = new Random(0x5EED_0001);
        var signer = new MessageSigner(Key);
        int malformed = 0, badSignature = 0;
        var stats = FuzzSupport.Run(FuzzSupport.Iterations, _ => RandomFrames(rng), Size, (i, frames) =>
        {
            var result = WireFormat.Deserialize(frames, signer);
            // A random signature frame matches the HMAC with probability 2^-256: nothing random is ever delivered.
            Assert.True(result.Message is null, $"random input #{i} was delivered");
            if (result.Error == WireDecodeError.Malformed) malformed++;
            else if (result.Error == WireDecodeError.BadSignature) badSignature++;
            else Assert.Fail($"input #{i}: no message and no error");
        });
        output.WriteLine($"{stats}; malformed {malformed}, bad signature {badSignature}");
        Assert.True(badSignature > FuzzSupport.Iterations / 10, "the generator should reach the signature check often");
        Assert.True(stats.RepeatedExtraAllocation < 64 * 1024, stats.ToString());
    }

    [Fact]
    public void Mutated_signed_messages_are_delivered_only_with_a_valid_signature()
    {
        var rng = new Random(0x5EED_0002);
        var seeds = SeedMessages();
        int delivered = 0, tamperedRejected = 0;
        // A fresh signer per input: the replay history would otherwise turn every re-delivery of an untouched seed
        // into "Replayed" and hide whether the signature itself was accepted.
        var stats = FuzzSupport.Run(FuzzSupport.Iterations, _ =>
        {
            var seed = seeds[rng.Next(seeds.Count)];
            var (frames, tampered) = MutateFrames(rng, seed);
            return (frames, tampered, signer: new MessageSigner(Key));
        }, x => Size(x.frames), (i, x) =>
        {
            var result = WireFormat.Deserialize(x.frames, x.signer);
            if (result.Message is not null)
            {
                delivered++;
                // (A bit flip can turn a hex digit's case, 'a' -> 'A': the same digest, so still valid; hence the oracle.)
                Assert.True(SignatureIsValid(x.frames), $"input #{i}: delivered with a signature that is not the HMAC of its frames (tampered: {x.tampered})");
            }
            else if (x.tampered)
            {
                tamperedRejected++;
                Assert.NotEqual(WireDecodeError.None, result.Error);
            }
        });
        output.WriteLine($"{stats}; delivered {delivered}, tampered and rejected {tamperedRejected}");
        Assert.True(tamperedRejected > FuzzSupport.Iterations / 2);
        Assert.True(delivered > 0, "untouched signed frames (mutations of identities or buffers only) must still be delivered");
        Assert.True(stats.RepeatedExtraAllocation < 256 * 1024, stats.ToString());
    }

    [Fact]
    public void A_replayed_signed_message_is_rejected_the_second_time()
    {
        var signer = new MessageSigner(Key);
        var frames = SeedMessages()[0];
        Assert.NotNull(WireFormat.Deserialize(frames, signer).Message);
        var again = WireFormat.Deserialize(frames, signer);
        Assert.Null(again.Message);
        Assert.Equal(WireDecodeError.BadSignature, again.Error);
    }

    [Fact]
    public void Missing_wrong_key_and_wrong_scheme_signatures_are_BadSignature()
    {
        var good = SeedMessages()[1];
        int d = IndexOfDelimiter(good);
        var unsigned = good.ToList(); unsigned[d + 1] = [];
        var wrongKey = WireFormat.Serialize(Parse(good), new MessageSigner("another-key")).Select(f => f.ToArray()).ToList();
        var sha512 = WireFormat.Serialize(Parse(good), new MessageSigner(Key, "hmac-sha512")).Select(f => f.ToArray()).ToList();
        var nonHex = good.ToList(); nonHex[d + 1] = Encoding.ASCII.GetBytes("g" + Encoding.ASCII.GetString(good[d + 1])[1..]);
        var truncated = good.ToList(); truncated[d + 1] = good[d + 1][..^2];
        foreach (var frames in new[] { unsigned, wrongKey, sha512, nonHex, truncated })
        {
            var result = WireFormat.Deserialize(frames, new MessageSigner(Key));
            Assert.Null(result.Message);
            Assert.Equal(WireDecodeError.BadSignature, result.Error);
        }
    }

    private static JupyterMessage Parse(IReadOnlyList<byte[]> frames) => WireFormat.Deserialize(frames, new MessageSigner(Key)).Message!;

    private static int Size(IReadOnlyList<byte[]> frames) => frames.Sum(f => f.Length) + 32 * frames.Count;

    private static List<byte[]> RandomFrames(Random rng)
    {
        int count = rng.Next(0, 10);
        var frames = new List<byte[]>(count + 1);
        for (int i = 0; i < count; i++)
        {
            frames.Add(rng.Next(6) switch
            {
                0 => "<IDS|MSG>"u8.ToArray(),
                1 => Encoding.ASCII.GetBytes(Convert.ToHexString(FuzzSupport.RandomBytes(rng, 32)).ToLowerInvariant()),
                2 => "{\"msg_id\":\"a\",\"msg_type\":\"stream\"}"u8.ToArray(),
                3 => "{}"u8.ToArray(),
                _ => FuzzSupport.RandomBytes(rng, rng.Next(0, 96)),
            });
        }
        return frames;
    }

    /// <summary>Returns the mutated frames and whether a signed frame (signature, header, parent, metadata, content) changed.</summary>
    private static (List<byte[]> Frames, bool Tampered) MutateFrames(Random rng, List<byte[]> seed)
    {
        var frames = seed.Select(f => f).ToList();
        int d = IndexOfDelimiter(seed);
        bool tampered = false;
        switch (rng.Next(7))
        {
            case 0: // mutate a signed frame (or the signature)
            {
                int target = d + 1 + rng.Next(5);
                var mutated = FuzzSupport.Mutate(rng, frames[target]);
                tampered = !mutated.AsSpan().SequenceEqual(frames[target]);
                frames[target] = mutated;
                break;
            }
            case 1: // mutate an identity or a buffer: signatures never cover them
            {
                var unsignedIndexes = Enumerable.Range(0, d).Concat(Enumerable.Range(d + 6, frames.Count - d - 6)).ToList();
                if (unsignedIndexes.Count > 0)
                {
                    int target = unsignedIndexes[rng.Next(unsignedIndexes.Count)];
                    var mutated = FuzzSupport.Mutate(rng, frames[target]);
                    // A mutated identity that turns into the delimiter moves the message: count that as tampering.
                    tampered = target < d && mutated.AsSpan().SequenceEqual("<IDS|MSG>"u8);
                    frames[target] = mutated;
                }
                break;
            }
            case 2: // swap two signed frames
            {
                int a = d + 1 + rng.Next(5), b = d + 1 + rng.Next(5);
                (frames[a], frames[b]) = (frames[b], frames[a]);
                tampered = !frames[a].AsSpan().SequenceEqual(frames[b]);
                break;
            }
            case 3: // drop a frame
            {
                int target = rng.Next(frames.Count);
                frames.RemoveAt(target);
                tampered = target >= d && target <= d + 5;
                break;
            }
            case 4: // insert a random frame
            {
                int at = rng.Next(frames.Count + 1);
                frames.Insert(at, FuzzSupport.RandomBytes(rng, rng.Next(0, 40)));
                tampered = at > d && at <= d + 5;
                break;
            }
            case 5: // re-sign a mutated content with the wrong key
            {
                frames[d + 5] = FuzzSupport.Mutate(rng, frames[d + 5]);
                using var wrong = new HMACSHA256(Encoding.UTF8.GetBytes("wrong-" + Key));
                frames[d + 1] = Encoding.ASCII.GetBytes(Convert.ToHexString(wrong.ComputeHash(frames.Skip(d + 2).Take(4).SelectMany(f => f).ToArray())).ToLowerInvariant());
                tampered = true;
                break;
            }
            default: // several byte mutations anywhere
            {
                for (int k = 0; k < 1 + rng.Next(3); k++)
                {
                    int target = rng.Next(frames.Count);
                    var mutated = FuzzSupport.Mutate(rng, frames[target]);
                    if (target > d && target <= d + 5 && !mutated.AsSpan().SequenceEqual(frames[target])) tampered = true;
                    if (target == d && !mutated.AsSpan().SequenceEqual(frames[target])) tampered = true;
                    frames[target] = mutated;
                }
                break;
            }
        }
        return (frames, tampered);
    }

    /// <summary>The independent oracle: the first delimiter's signature frame equals HMAC-SHA256 of the next four frames.</summary>
    private static bool SignatureIsValid(IReadOnlyList<byte[]> frames)
    {
        int d = IndexOfDelimiter(frames);
        if (d < 0 || frames.Count < d + 6) return false;
        using var hmac = new HMACSHA256(KeyBytes);
        var digest = hmac.ComputeHash(frames.Skip(d + 2).Take(4).SelectMany(f => f).ToArray());
        return string.Equals(Convert.ToHexString(digest), Encoding.ASCII.GetString(frames[d + 1]), StringComparison.OrdinalIgnoreCase);
    }

    private static int IndexOfDelimiter(IReadOnlyList<byte[]> frames)
    {
        for (int i = 0; i < frames.Count; i++) if (frames[i].AsSpan().SequenceEqual("<IDS|MSG>"u8)) return i;
        return -1;
    }

    private static List<List<byte[]>> SeedMessages()
    {
        var signer = new MessageSigner(Key);
        var factory = new MessageFactory("fuzz-session", "fuzz");
        var request = factory.Create("execute_request", RequestContent.Execute("print('x')", false, true, true, true));
        var stream = factory.Create("stream", System.Text.Json.JsonDocument.Parse("{\"name\":\"stdout\",\"text\":\"hello \\u00e9\\n\"}").RootElement, parent: request.Header);
        var reply = factory.Create("execute_reply", System.Text.Json.JsonDocument.Parse("{\"status\":\"ok\",\"execution_count\":3,\"user_expressions\":{},\"payload\":[]}").RootElement, parent: request.Header);
        var withBuffers = new JupyterMessage
        {
            Header = factory.Create("comm_msg", JupyterMessage.Empty).Header,
            ParentHeader = request.Header,
            Content = System.Text.Json.JsonDocument.Parse("{\"comm_id\":\"c\",\"data\":{\"a\":[1,2,3]}}").RootElement,
            Buffers = [new byte[] { 1, 2, 3 }, "buffer"u8.ToArray()],
        };
        var list = new List<List<byte[]>>();
        byte[][] identity = ["client-identity"u8.ToArray()];
        foreach (var m in new[] { request, stream, reply, withBuffers })
        {
            list.Add(WireFormat.Serialize(m, signer).Select(f => f.ToArray()).ToList());
            list.Add(WireFormat.Serialize(m, signer, identity).Select(f => f.ToArray()).ToList());
        }
        return list;
    }
}
