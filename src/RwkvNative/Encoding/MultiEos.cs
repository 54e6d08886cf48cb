using RwkvNative.Model;

namespace RwkvNative;

/// <summary>
/// Upstream's evaluation encoding (<c>embedding/eval/custom_embedding_model.py</c>, <c>_build_batch</c>, run with
/// <c>--ctx-len 2048 --eos-chunk-size 512</c> for the paper's MTEB table), at batch size 1:
/// <list type="bullet">
/// <item><c>n_eos = ContextLength / EosChunkSize</c> (integer division); the text's tokens are cut to <c>8 × ContextLength</c>.</item>
/// <item>n &lt; EosChunkSize: the text is repeated n_eos times, each copy followed by EOS.</item>
/// <item>EosChunkSize ≤ n ≤ ContextLength − n_eos: n_eos chunks <c>ids[i*k : min((i+1)*k, n)]</c>, k = max(1, ceil(n / n_eos)),
/// each followed by EOS (the last chunks may be short or empty).</item>
/// <item>Longer: ceil(n / ContextLength) pieces of ceil(n / pieces) tokens, each chunked as above, all in one sequence.</item>
/// <item><see cref="Pad16"/>: upstream's model left-pads every sequence with token 261 (<c>"\n\n"</c>) to a multiple of 16 for its
/// CUDA kernel; the pad runs through the model (it changes the state) and is not pooled. On by default, as in the paper's runs.</item>
/// </list>
/// </summary>
public sealed record MultiEos : TextEncoding
{
    /// <summary>Upstream's left-pad token (<c>STOP_TOKEN_INDEX</c>, <c>"\n\n"</c>).</summary>
    public const int PadToken = 261;

    /// <summary>Upstream's pad multiple (<c>CHUNK_LEN</c> of its wkv7 kernel).</summary>
    public const int PadMultiple = 16;

    /// <summary>upstream's <c>--ctx-len</c>.</summary>
    public int ContextLength { get; init; } = 2048;

    /// <summary>upstream's <c>--eos-chunk-size</c>.</summary>
    public int EosChunkSize { get; init; } = 512;

    /// <summary>Left-pad with token 261 to a multiple of 16 as upstream's model does (default); false: the sequence exactly as alone.</summary>
    public bool Pad16 { get; init; } = true;

    /// <summary>EOS tokens per piece: ContextLength / EosChunkSize.</summary>
    public int EosPerPiece => ContextLength / EosChunkSize;

    /// <summary>Throws, saying what to change, unless the lengths make a valid encoding.</summary>
    public void Validate()
    {
        if (ContextLength <= 0) throw new ArgumentOutOfRangeException(nameof(ContextLength), ContextLength, "the context length must be positive (paper: 2048)");
        if (EosChunkSize <= 0) throw new ArgumentOutOfRangeException(nameof(EosChunkSize), EosChunkSize, "the EOS chunk size must be positive (paper: 512)");
        if (EosChunkSize > ContextLength)
            throw new ArgumentOutOfRangeException(nameof(EosChunkSize), EosChunkSize,
                $"the EOS chunk size ({EosChunkSize}) must not exceed the context length ({ContextLength}): their ratio is the number of EOS tokens");
        if ((long)ContextLength * 8 > 1 << 27)
            throw new ArgumentOutOfRangeException(nameof(ContextLength), ContextLength, "the context length must be at most 16,777,216 (texts are cut to 8 x context length)");
    }

    /// <summary>The sequence upstream builds (without the pad): the multi-EOS layout of the text's tokens.</summary>
    public int[] Sequence(ReadOnlySpan<int> textTokens)
    {
        Validate();
        int nEos = EosPerPiece;
        var ids = textTokens[..Math.Min(textTokens.Length, 8 * ContextLength)];
        int n = ids.Length;
        var seq = new List<int>(n + nEos * 8 + nEos);
        if (n < EosChunkSize)
        {
            for (int i = 0; i < nEos; i++)
            {
                foreach (var id in ids) seq.Add(id);
                seq.Add(ModelConfig.EosToken);
            }
        }
        else if (n <= ContextLength - nEos) AddChunks(seq, ids, nEos);
        else
        {
            int pieces = CeilDiv(n, ContextLength), size = CeilDiv(n, pieces);
            for (int p = 0; p < pieces; p++) AddChunks(seq, Range(ids, p * size, size), nEos);
        }
        return seq.ToArray();
    }

    /// <inheritdoc/>
    public override int[] Tokens(ReadOnlySpan<int> textTokens)
    {
        var seq = Sequence(textTokens);
        int pad = Pad16 ? (PadMultiple - seq.Length % PadMultiple) % PadMultiple : 0;
        if (pad == 0) return seq;
        var padded = new int[pad + seq.Length];
        padded.AsSpan(0, pad).Fill(PadToken);
        seq.CopyTo(padded, pad);
        return padded;
    }

    /// <inheritdoc/>
    public override string ToString() => $"multi-eos (ctx-len {ContextLength}, eos-chunk-size {EosChunkSize}{(Pad16 ? ", pad16" : "")})";

    // n_eos chunks ids[i*k : min((i+1)*k, n)] with k = max(1, ceil(n / n_eos)), each followed by EOS.
    private static void AddChunks(List<int> seq, ReadOnlySpan<int> ids, int nEos)
    {
        int k = Math.Max(1, CeilDiv(ids.Length, nEos));
        for (int i = 0; i < nEos; i++)
        {
            foreach (var id in Range(ids, i * k, k)) seq.Add(id);
            seq.Add(ModelConfig.EosToken);
        }
    }

    // ids[start : min(start + count, n)], empty when start is past the end (Python slicing).
    private static ReadOnlySpan<int> Range(ReadOnlySpan<int> ids, int start, int count) =>
        start >= ids.Length ? ReadOnlySpan<int>.Empty : ids.Slice(start, Math.Min(count, ids.Length - start));

    private static int CeilDiv(int a, int b) => (int)(((long)a + b - 1) / b);
}
