namespace RwkvNative.Model;

/// <summary>
/// A ragged batch in its one representation, validated once when built and then passed down unchanged to every backend:
/// the tokens of all sequences packed back to back, their offsets and the sequence of each packed row (the
/// <c>cu_seqlens</c> layout). Immutable, so one instance may be read by any number of threads.
/// </summary>
public sealed class PackedBatch
{
    private readonly int[] _tokens, _offsets, _sequenceOf;

    private PackedBatch(int[] tokens, int[] offsets)
    {
        _tokens = tokens;
        _offsets = offsets;
        _sequenceOf = new int[tokens.Length];
        for (int b = 0; b + 1 < offsets.Length; b++)
            _sequenceOf.AsSpan(offsets[b], offsets[b + 1] - offsets[b]).Fill(b);
    }

    /// <summary>An empty batch (no sequences).</summary>
    public static PackedBatch Empty { get; } = new([], [0]);

    /// <summary>B: number of sequences (some may be empty).</summary>
    public int Count => _offsets.Length - 1;

    /// <summary>T: packed tokens of all sequences.</summary>
    public int TokenCount => _tokens.Length;

    /// <summary>[T] packed token ids, each in 0..65535.</summary>
    public ReadOnlySpan<int> Tokens => _tokens;

    /// <summary>[B + 1]: sequence b is packed rows Offsets[b] .. Offsets[b+1]-1; Offsets[0] = 0, Offsets[B] = T.</summary>
    public ReadOnlySpan<int> Offsets => _offsets;

    /// <summary>[T]: the sequence each packed row belongs to.</summary>
    public ReadOnlySpan<int> SequenceOf => _sequenceOf;

    /// <summary>The tokens of sequence <paramref name="index"/>.</summary>
    public ReadOnlySpan<int> Sequence(int index) => _tokens.AsSpan(_offsets[index], _offsets[index + 1] - _offsets[index]);

    // The same arrays for the CPU backend's row jobs, which keep them in struct fields (never written).
    internal int[] TokenArray => _tokens;
    internal int[] OffsetArray => _offsets;
    internal int[] SequenceArray => _sequenceOf;

    /// <summary>Packs <paramref name="sequences"/> (lengths may differ, a sequence may be empty).</summary>
    /// <exception cref="ArgumentNullException">The list or one of its sequences is null (the message names it).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A token is outside 0..65535 (the message names sequence and position).</exception>
    public static PackedBatch Pack(IReadOnlyList<int[]> sequences)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        var offsets = new int[sequences.Count + 1];
        long total = 0;
        for (int b = 0; b < sequences.Count; b++)
        {
            var s = sequences[b] ?? throw new ArgumentNullException(nameof(sequences), $"sequence {b} is null");
            total += s.Length;
            if (total > int.MaxValue) throw new ArgumentException($"the batch holds more than {int.MaxValue} tokens", nameof(sequences));
            offsets[b + 1] = (int)total;
        }
        var tokens = new int[total];
        for (int b = 0; b < sequences.Count; b++) sequences[b].CopyTo(tokens, offsets[b]);
        CheckTokens(tokens, offsets, nameof(sequences));
        return new PackedBatch(tokens, offsets);
    }

    /// <summary>A batch from tokens already packed with their <paramref name="offsets"/> [B + 1].</summary>
    /// <exception cref="ArgumentException">The offsets do not start at 0, decrease, or do not end at the token count.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A token is outside 0..65535 (the message names sequence and position).</exception>
    public static PackedBatch FromPacked(ReadOnlySpan<int> tokens, ReadOnlySpan<int> offsets)
    {
        if (offsets.Length < 1) throw new ArgumentException("offsets must hold B + 1 entries (at least [0])", nameof(offsets));
        if (offsets[0] != 0) throw new ArgumentException($"offsets[0] must be 0, got {offsets[0]}", nameof(offsets));
        for (int b = 1; b < offsets.Length; b++)
            if (offsets[b] < offsets[b - 1])
                throw new ArgumentException($"offsets must not decrease: offsets[{b}] = {offsets[b]} < offsets[{b - 1}] = {offsets[b - 1]}", nameof(offsets));
        if (offsets[^1] != tokens.Length)
            throw new ArgumentException($"offsets[B] = {offsets[^1]} but there are {tokens.Length} tokens", nameof(offsets));
        var t = tokens.ToArray();
        var o = offsets.ToArray();
        CheckTokens(t, o, nameof(tokens));
        return new PackedBatch(t, o);
    }

    /// <summary><paramref name="count"/> sequences of one token each, all <paramref name="token"/> (the reranker's layout).</summary>
    public static PackedBatch OneTokenEach(int count, int token = ModelSchema.PadToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if ((uint)token >= ModelSchema.VocabSize) throw new ArgumentOutOfRangeException(nameof(token), token, $"token is outside 0..{ModelSchema.VocabSize - 1}");
        var tokens = new int[count];
        Array.Fill(tokens, token);
        var offsets = new int[count + 1];
        for (int i = 0; i <= count; i++) offsets[i] = i;
        return new PackedBatch(tokens, offsets);
    }

    /// <summary>Sequences <paramref name="first"/> .. first+count-1 as a batch of their own (already validated).</summary>
    public PackedBatch Slice(int first, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(first + count, Count, nameof(count));
        int start = _offsets[first], end = _offsets[first + count];
        var o = new int[count + 1];
        for (int b = 0; b <= count; b++) o[b] = _offsets[first + b] - start;
        return new PackedBatch(_tokens[start..end], o);
    }

    private static void CheckTokens(int[] tokens, int[] offsets, string paramName)
    {
        for (int b = 0; b + 1 < offsets.Length; b++)
            for (int i = offsets[b]; i < offsets[b + 1]; i++)
                if ((uint)tokens[i] >= ModelSchema.VocabSize)
                    throw new ArgumentOutOfRangeException(paramName, tokens[i],
                        $"sequence {b}: token {tokens[i]} at position {i - offsets[b]} is outside 0..{ModelSchema.VocabSize - 1}");
    }
}
