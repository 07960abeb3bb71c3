using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using JupyterKernels.Connections;
using JupyterKernels.Kernelspecs;
using JupyterKernels.Messaging;
using JupyterKernels.Notebooks;
using JupyterKernels.Providers;
using JupyterKernels.Providers.Gateway;
using JupyterKernels.Providers.Local;
using JupyterKernels.Transport.Zmq;

namespace JupyterKernels.Fuzz;

/// <summary>
/// One target per parser that reads bytes from outside the process. A target returns when the parser handled its
/// input as documented (parsed it, or rejected it the documented way) and throws <see cref="FuzzFinding"/> (or lets an
/// unexpected exception escape) when it did not: afl-fuzz (through SharpFuzz) records that input as a crash, and the
/// xunit replay (tests/Unit/Fuzz/CorpusReplayTests) fails on it. Each target also checks a property beyond "no
/// crash": a round trip, or that nothing unsigned is delivered.
/// </summary>
public static class FuzzTargets
{
    public static readonly IReadOnlyDictionary<string, Action<byte[]>> All = new Dictionary<string, Action<byte[]>>(StringComparer.Ordinal)
    {
        ["zmtp-frames"] = ZmtpFrames,
        ["zmtp-greeting"] = ZmtpGreeting,
        ["wire-format"] = WireFormatFrames,
        ["websocket-v1"] = WebSocketV1,
        ["websocket-legacy"] = WebSocketLegacy,
        ["connection-file"] = ConnectionFileText,
        ["kernelspec"] = KernelSpecText,
        ["providers-file"] = ProvidersFileBytes,
        ["notebook"] = NotebookText,
        ["provider-data"] = ProviderDataText,
    };

    /// <summary>The key the wire-format target signs and verifies with.</summary>
    public const string Key = "fuzz-key-5d3c0a8e-6f9b-4c1e-9a51-0b7e2f4d8c11";

    /// <summary>
    /// A peer's byte stream, cut into reads: the first byte is the read size (1..256) so that afl explores headers
    /// split across reads. Protocol errors end the connection (ZmtpProtocolException); anything else is a finding.
    /// Commands are split and READY metadata parsed as the connection does.
    /// </summary>
    public static void ZmtpFrames(byte[] input)
    {
        if (input.Length == 0) return;
        int chunk = input[0] + 1;
        var stream = input.AsSpan(1);
        var decoder = new FrameDecoder(maxFrameSize: 64 * 1024);
        try
        {
            int offset = 0;
            while (offset < stream.Length)
            {
                var read = stream.Slice(offset, Math.Min(chunk, stream.Length - offset));
                while (!read.IsEmpty)
                {
                    bool done = decoder.TryDecode(read, out int consumed, out var frame);
                    if (consumed < 0 || consumed > read.Length) throw new FuzzFinding($"consumed {consumed} of {read.Length}");
                    if (!done && consumed == 0) break; // needs more than this read holds
                    read = read[consumed..];
                    if (done && frame.IsCommand)
                    {
                        ZmtpCommands.Split(frame.Body, out var name, out var data);
                        if (name.SequenceEqual(ZmtpCommands.Ready)) ZmtpCommands.ParseMetadata(data);
                    }
                }
                offset += Math.Min(chunk, stream.Length - offset);
            }
        }
        catch (ZmtpProtocolException)
        {
        }
    }

    /// <summary>The peer's greeting as it trickles in: every prefix is checked, then the whole; a prefix rejected
    /// early must also be rejected whole, and a greeting accepted whole must have had every prefix accepted.</summary>
    public static void ZmtpGreeting(byte[] input)
    {
        int rejectedAt = -1;
        for (int n = 1; n <= Math.Min(input.Length, Greeting.Size); n++)
        {
            try { Greeting.ValidatePartial(input.AsSpan(0, n)); }
            catch (ZmtpProtocolException) { rejectedAt = n; break; }
        }
        try
        {
            var (major, minor) = Greeting.Parse(input);
            if (rejectedAt >= 0) throw new FuzzFinding($"prefix of {rejectedAt} bytes rejected, the whole greeting accepted");
            if (major < 3) throw new FuzzFinding($"accepted ZMTP major {major}");
            Greeting.NegotiateMinor(major, minor);
        }
        catch (ZmtpProtocolException)
        {
        }
    }

    /// <summary>
    /// Frames, each a 2-byte big-endian length and that many bytes. When the first byte is odd the target signs the
    /// four signed frames after the delimiter itself (so afl reaches the JSON parsing behind the signature check);
    /// otherwise the signature is the input's own and must never be accepted unless it is the HMAC of the frames.
    /// Deserialize never throws; a delivered message's content is read in full.
    /// </summary>
    public static void WireFormatFrames(byte[] input)
    {
        if (input.Length == 0) return;
        bool signHere = (input[0] & 1) == 1;
        var frames = SplitFrames(input.AsSpan(1));
        int delimiter = frames.FindIndex(f => f.AsSpan().SequenceEqual(WireFormat.Delimiter));
        var signer = new MessageSigner(Key);
        if (signHere && delimiter >= 0 && frames.Count - delimiter - 1 >= 5)
            frames[delimiter + 1] = Encoding.ASCII.GetBytes(Convert.ToHexString(signer.Sign(frames[delimiter + 2], frames[delimiter + 3], frames[delimiter + 4], frames[delimiter + 5])).ToLowerInvariant());
        var result = WireFormat.Deserialize(frames, signer);
        if (result.Message is null)
        {
            if (result.Error == WireDecodeError.None) throw new FuzzFinding("no message and no error");
            return;
        }
        if (!SignatureIsValid(frames, delimiter)) throw new FuzzFinding("delivered a message whose signature is not the HMAC of its frames");
        _ = result.Message.Content.ValueKind;
        _ = result.Message.Header.MsgType;
    }

    public static void WebSocketV1(byte[] input)
    {
        var result = WebSocketV1Framing.Deserialize(input);
        if ((result.Message is null) == string.IsNullOrEmpty(result.Error)) throw new FuzzFinding("a message and an error, or neither");
        if (result.Message is not null) _ = result.Message.Content.ValueKind;
    }

    /// <summary>First byte: odd = a binary frame, even = a text frame.</summary>
    public static void WebSocketLegacy(byte[] input)
    {
        if (input.Length == 0) return;
        var frame = input.AsMemory(1);
        var result = (input[0] & 1) == 1 ? WebSocketLegacyFraming.DeserializeBinary(frame) : WebSocketLegacyFraming.DeserializeText(frame);
        if ((result.Message is null) == string.IsNullOrEmpty(result.Error)) throw new FuzzFinding("a message and an error, or neither");
        if (result.Message is not null) _ = result.Message.Content.ValueKind;
    }

    /// <summary>Parses or is ConnectionFileInvalid; a parsed file is written back as jupyter_client would and reads the same.</summary>
    public static void ConnectionFileText(byte[] input)
    {
        ConnectionInfo info;
        try { info = ConnectionFile.Parse(Encoding.UTF8.GetString(input), "fuzz.json"); }
        catch (KernelException e) when (e.ErrorId == ErrorIds.ConnectionFileInvalid) { return; }
        if (info.ShellPort is < 1 or > 65535) throw new FuzzFinding($"accepted port {info.ShellPort}");
        // The key may be as short as "0", which the ports' digits contain: what shows the key is text that changes with it.
        if (info.Key.Length > 0 && info.ToString() != (info with { Key = info.Key + "x" }).ToString()) throw new FuzzFinding("ToString shows the key");
        var again = ConnectionFile.Parse(ConnectionFile.Serialize(info), "fuzz.json");
        if (again != info) throw new FuzzFinding("connection info changed on a write and read back");
    }

    /// <summary>Parses or is KernelSpecInvalid; a parsed spec has a command to run.</summary>
    public static void KernelSpecText(byte[] input)
    {
        KernelSpecFile spec;
        try { spec = KernelSpecFile.Parse(Encoding.UTF8.GetString(input), "fuzz/kernel.json"); }
        catch (KernelException e) when (e.ErrorId == ErrorIds.KernelSpecInvalid) { return; }
        if (spec.Argv.Count == 0 || spec.Argv[0].Length == 0) throw new FuzzFinding("accepted a spec without a command");
        if (spec.InterruptMode is not ("signal" or "message")) throw new FuzzFinding($"accepted interrupt_mode {spec.InterruptMode}");
    }

    /// <summary>Parses or is ProviderInvalid; whatever parsed is written back and reads the same names and URLs.</summary>
    public static void ProvidersFileBytes(byte[] input)
    {
        IReadOnlyList<ProviderRegistration> providers;
        try { providers = ProvidersFile.Parse(input, "fuzz/jupyterkernels_providers.json"); }
        catch (KernelException e) when (e.ErrorId == ErrorIds.ProviderInvalid) { return; }
        var written = ProvidersFile.Serialize(providers);
        var again = ProvidersFile.Parse(written, "fuzz/again.json");
        if (!again.Select(p => (p.Name, p.Url, p.AuthScheme)).SequenceEqual(providers.Select(p => (p.Name, p.Url, p.AuthScheme))))
            throw new FuzzFinding("providers changed on a write and read back");
    }

    /// <summary>Reads or is NotebookInvalid; a notebook read is written as nbformat writes it and reads back to the same text.</summary>
    public static void NotebookText(byte[] input)
    {
        NotebookDocument document;
        try { document = NotebookDocument.Parse(Encoding.UTF8.GetString(input), "fuzz.ipynb"); }
        catch (KernelException e) when (e.ErrorId == ErrorIds.NotebookInvalid) { return; }
        var json = document.ToJson();
        var again = NotebookDocument.Parse(json, "fuzz-again.ipynb").ToJson();
        if (again != json) throw new FuzzFinding("the notebook written does not read back to the same text");
    }

    /// <summary>A record's provider_data as the store hands it back: each provider reads what it can and never throws;
    /// what it read is written back the same; the connection info inside parses or is ConnectionFileInvalid.</summary>
    public static void ProviderDataText(byte[] input)
    {
        var record = new KernelRecord { Id = "fuzz", Provider = "local", SpecName = "python3", ProviderData = Encoding.UTF8.GetString(input) };
        var local = LocalKernelData.Of(record);
        if (LocalKernelData.Of(local.ApplyTo(record)) != local) throw new FuzzFinding("local provider data changed on a write and read back");
        if (local.ConnectionInfoJson is { } info)
        {
            try { ConnectionFile.Parse(info, "provider data"); }
            catch (KernelException e) when (e.ErrorId == ErrorIds.ConnectionFileInvalid) { }
        }
        var remote = RemoteKernelData.Of(record);
        if (RemoteKernelData.Parse(remote.ToJson()) != remote) throw new FuzzFinding("remote provider data changed on a write and read back");
    }

    private static List<byte[]> SplitFrames(ReadOnlySpan<byte> data)
    {
        var frames = new List<byte[]>();
        while (data.Length >= 2)
        {
            int length = Math.Min(BinaryPrimitives.ReadUInt16BigEndian(data), data.Length - 2);
            frames.Add(data.Slice(2, length).ToArray());
            data = data[(2 + length)..];
        }
        return frames;
    }

    /// <summary>The frames in the format <see cref="WireFormatFrames"/> reads (for seeds).</summary>
    public static byte[] JoinFrames(bool signHere, IEnumerable<ReadOnlyMemory<byte>> frames)
    {
        var output = new List<byte> { (byte)(signHere ? 1 : 0) };
        foreach (var frame in frames)
        {
            output.Add((byte)(frame.Length >> 8));
            output.Add((byte)frame.Length);
            output.AddRange(frame.ToArray());
        }
        return output.ToArray();
    }

    private static bool SignatureIsValid(List<byte[]> frames, int delimiter)
    {
        using var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(Key));
        for (int i = 2; i <= 5; i++) hmac.TransformBlock(frames[delimiter + i], 0, frames[delimiter + i].Length, null, 0);
        hmac.TransformFinalBlock([], 0, 0);
        return string.Equals(Convert.ToHexString(hmac.Hash!), Encoding.ASCII.GetString(frames[delimiter + 1]), StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>A parser broke its contract on an input (beyond "no crash").</summary>
public sealed class FuzzFinding(string message) : Exception(message);
