namespace RwkvNative.Tokenizer;

/// <summary>
/// The parsed vocabulary: every token's bytes, packed in id order.
/// Token <c>id</c> is <c>Bytes[Offsets[id]..Offsets[id + 1]]</c>; an id the file does not define has no bytes.
/// </summary>
/// <param name="Bytes">All tokens' bytes, concatenated in id order.</param>
/// <param name="Offsets">[MaxId + 2] start of each id's bytes in <paramref name="Bytes"/>.</param>
/// <param name="Count">Number of tokens the file defines.</param>
internal sealed record Vocabulary(byte[] Bytes, int[] Offsets, int Count)
{
    /// <summary>Largest id the file defines.</summary>
    public int MaxId => Offsets.Length - 2;

    /// <summary>The bytes of token <paramref name="id"/>; empty when the file does not define it.</summary>
    public ReadOnlySpan<byte> TokenBytes(int id) => Bytes.AsSpan(Offsets[id], Offsets[id + 1] - Offsets[id]);
}
