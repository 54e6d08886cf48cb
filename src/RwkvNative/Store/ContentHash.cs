using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace RwkvNative.Store;

/// <summary>
/// SHA-256 of a document's text (UTF-8), stored beside its state so that a changed document is re-indexed and a state
/// computed from other text is never taken for the current one. Written and parsed as 64 lower-case hex digits.
/// </summary>
public readonly record struct ContentHash
{
    /// <summary>Bytes of a hash.</summary>
    public const int Size = 32;

    private readonly ulong _a, _b, _c, _d;

    private ContentHash(ReadOnlySpan<byte> bytes)
    {
        _a = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        _b = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        _c = BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]);
        _d = BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]);
    }

    /// <summary>The hash of <paramref name="text"/>, the document's text exactly as given to the model.</summary>
    public static ContentHash Of(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Span<byte> digest = stackalloc byte[Size];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), digest);
        return new ContentHash(digest);
    }

    /// <summary>A hash from its 32 bytes.</summary>
    public static ContentHash FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size) throw new ArgumentException($"a content hash is {Size} bytes, got {bytes.Length}", nameof(bytes));
        return new ContentHash(bytes);
    }

    /// <summary>A hash from 64 hex digits (as <see cref="ToString"/> writes it).</summary>
    /// <exception cref="FormatException">Not 64 hex digits.</exception>
    public static ContentHash Parse(string hex)
    {
        ArgumentNullException.ThrowIfNull(hex);
        if (hex.Length != Size * 2) throw new FormatException($"a content hash is {Size * 2} hex digits, got {hex.Length} characters");
        return new ContentHash(Convert.FromHexString(hex));
    }

    /// <summary>Writes the 32 bytes to <paramref name="destination"/>.</summary>
    public void CopyTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _a);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _b);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], _c);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], _d);
    }

    /// <summary>64 lower-case hex digits.</summary>
    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Size];
        CopyTo(bytes);
        return Convert.ToHexStringLower(bytes);
    }
}
