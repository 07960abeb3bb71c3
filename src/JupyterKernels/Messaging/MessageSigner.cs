using System.Security.Cryptography;
using System.Text;

namespace JupyterKernels.Messaging;

/// <summary>
/// HMAC signing and verification of the four signed frames (header, parent, metadata, content), over the exact
/// bytes on the wire. An empty key means "no signing" (the signature frame is empty and not checked).
/// Verification is constant-time and rejects replayed signatures, as jupyter_client's Session does.
/// </summary>
internal sealed class MessageSigner
{
    private const int ReplayHistorySize = 1 << 16;

    private readonly byte[] _key;
    private readonly HashAlgorithmName _algorithm;
    private readonly int _digestBytes;
    private readonly object _historyLock = new();
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly Queue<string> _seenOrder = new();

    public MessageSigner(string key, string signatureScheme = "hmac-sha256")
    {
        ArgumentNullException.ThrowIfNull(key);
        _key = Encoding.UTF8.GetBytes(key);
        (_algorithm, _digestBytes) = ParseScheme(signatureScheme);
        Scheme = signatureScheme;
    }

    public string Scheme { get; }

    /// <summary>False when the key is empty: messages are sent unsigned and signatures are not checked.</summary>
    public bool IsEnabled => _key.Length > 0;

    /// <summary>Lower-case hex digest, or an empty array when signing is disabled.</summary>
    public byte[] Sign(ReadOnlySpan<byte> header, ReadOnlySpan<byte> parent, ReadOnlySpan<byte> metadata, ReadOnlySpan<byte> content)
    {
        if (!IsEnabled) return Array.Empty<byte>();
        Span<byte> digest = stackalloc byte[_digestBytes];
        ComputeDigest(header, parent, metadata, content, digest);
        var hex = new byte[_digestBytes * 2];
        ToLowerHex(digest, hex);
        return hex;
    }

    /// <summary>Checks a received signature (hex ASCII) against the received frames.</summary>
    public SignatureCheck Verify(ReadOnlySpan<byte> signature, ReadOnlySpan<byte> header, ReadOnlySpan<byte> parent, ReadOnlySpan<byte> metadata, ReadOnlySpan<byte> content)
    {
        if (!IsEnabled) return SignatureCheck.Valid;
        if (signature.IsEmpty) return SignatureCheck.Missing;
        if (signature.Length != _digestBytes * 2) return SignatureCheck.Invalid;

        Span<byte> expected = stackalloc byte[_digestBytes];
        ComputeDigest(header, parent, metadata, content, expected);
        Span<byte> received = stackalloc byte[_digestBytes];
        if (!TryFromHex(signature, received)) return SignatureCheck.Invalid;
        if (!CryptographicOperations.FixedTimeEquals(expected, received)) return SignatureCheck.Invalid;

        // Replay protection: a captured signed message must not be accepted twice.
        var text = Encoding.ASCII.GetString(signature);
        lock (_historyLock)
        {
            if (!_seen.Add(text)) return SignatureCheck.Replayed;
            _seenOrder.Enqueue(text);
            if (_seenOrder.Count > ReplayHistorySize) _seen.Remove(_seenOrder.Dequeue());
        }
        return SignatureCheck.Valid;
    }

    private void ComputeDigest(ReadOnlySpan<byte> h, ReadOnlySpan<byte> p, ReadOnlySpan<byte> m, ReadOnlySpan<byte> c, Span<byte> destination)
    {
        // Every message is signed or verified: the one-shot static HMAC (no HMAC object, no key schedule kept
        // around) over one pooled buffer is markedly cheaper than an IncrementalHash per message.
        var length = h.Length + p.Length + m.Length + c.Length;
        var rented = System.Buffers.ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var span = rented.AsSpan(0, length);
            h.CopyTo(span);
            p.CopyTo(span[h.Length..]);
            m.CopyTo(span[(h.Length + p.Length)..]);
            c.CopyTo(span[(h.Length + p.Length + m.Length)..]);
            var written = _algorithm.Name switch
            {
                "SHA256" => HMACSHA256.HashData(_key, span, destination),
                "SHA384" => HMACSHA384.HashData(_key, span, destination),
                "SHA512" => HMACSHA512.HashData(_key, span, destination),
                "SHA1" => HMACSHA1.HashData(_key, span, destination),
                _ => HMACMD5.HashData(_key, span, destination),
            };
            _ = written;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static (HashAlgorithmName, int) ParseScheme(string scheme) => scheme switch
    {
        "hmac-sha256" => (HashAlgorithmName.SHA256, 32),
        "hmac-sha384" => (HashAlgorithmName.SHA384, 48),
        "hmac-sha512" => (HashAlgorithmName.SHA512, 64),
        "hmac-sha1" => (HashAlgorithmName.SHA1, 20),
        "hmac-md5" => (HashAlgorithmName.MD5, 16),
        _ => throw new KernelException(ErrorIds.ConnectionFileInvalid, KernelErrorCategory.InvalidData,
            $"Unsupported signature scheme '{scheme}'; expected hmac-sha256 (or hmac-sha1/384/512/md5)."),
    };

    private static void ToLowerHex(ReadOnlySpan<byte> bytes, Span<byte> hex)
    {
        const string digits = "0123456789abcdef";
        for (int i = 0; i < bytes.Length; i++)
        {
            hex[2 * i] = (byte)digits[bytes[i] >> 4];
            hex[2 * i + 1] = (byte)digits[bytes[i] & 0xF];
        }
    }

    private static bool TryFromHex(ReadOnlySpan<byte> hex, Span<byte> bytes)
    {
        for (int i = 0; i < bytes.Length; i++)
        {
            int hi = HexValue(hex[2 * i]), lo = HexValue(hex[2 * i + 1]);
            if ((hi | lo) < 0) return false;
            bytes[i] = (byte)((hi << 4) | lo);
        }
        return true;
    }

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };
}

internal enum SignatureCheck { Valid, Missing, Invalid, Replayed }
