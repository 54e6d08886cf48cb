namespace RwkvNative.Tests.Encodings;

/// <summary>The multi-EOS layout worked out by hand (ContextLength 16, EosChunkSize 4: 4 EOS per piece, case 1 up to 12 tokens).</summary>
public sealed class MultiEosTests
{
    private const int E = 65535;
    private static readonly MultiEos Enc = new() { ContextLength = 16, EosChunkSize = 4, Pad16 = false };

    private static int[] Ids(int n) => Enumerable.Range(1, n).ToArray();

    [Fact]
    public void Chunk_boundaries_match_the_hand_worked_layout()
    {
        Assert.Equal(4, Enc.EosPerPiece);
        // n = 0 and n = 2 < chunk: the text repeated 4 times, each copy followed by EOS.
        Assert.Equal([E, E, E, E], Enc.Sequence([]));
        Assert.Equal([1, 2, E, 1, 2, E, 1, 2, E, 1, 2, E], Enc.Sequence(Ids(2)));
        // n = 4 = chunk: 4 chunks of ceil(4/4) = 1.
        Assert.Equal([1, E, 2, E, 3, E, 4, E], Enc.Sequence(Ids(4)));
        // n = 5: chunks of 2 → [1,2] [3,4] [5] [] — the last chunk is empty, two EOS side by side.
        Assert.Equal([1, 2, E, 3, 4, E, 5, E, E], Enc.Sequence(Ids(5)));
        // n = 12 = ctx - n_eos: chunks of 3.
        Assert.Equal([1, 2, 3, E, 4, 5, 6, E, 7, 8, 9, E, 10, 11, 12, E], Enc.Sequence(Ids(12)));
        // n = 13 > 12: ceil(13/16) = 1 piece of 13 → chunks of 4: [1-4] [5-8] [9-12] [13].
        Assert.Equal([1, 2, 3, 4, E, 5, 6, 7, 8, E, 9, 10, 11, 12, E, 13, E], Enc.Sequence(Ids(13)));
        // n = 33: 3 pieces of 11, each in chunks of 3, 3, 3, 2: 12 EOS in one sequence.
        int[] piece(int s) => [s, s + 1, s + 2, E, s + 3, s + 4, s + 5, E, s + 6, s + 7, s + 8, E, s + 9, s + 10, E];
        Assert.Equal([.. piece(1), .. piece(12), .. piece(23)], Enc.Sequence(Ids(33)));
        // n = 200 is cut to 8 x 16 = 128 tokens: 8 pieces of 16, chunks of 4: 128 + 32 tokens, 32 EOS.
        var cut = Enc.Sequence(Ids(200));
        Assert.Equal(160, cut.Length);
        Assert.Equal(32, cut.Count(t => t == E));
        Assert.Equal(128, cut.Where(t => t != E).Max());
    }

    [Fact]
    public void Pad16_left_pads_with_token_261_to_a_multiple_of_16_and_single_eos_appends_one_eos()
    {
        var padded = (Enc with { Pad16 = true }).Tokens(Ids(2));
        Assert.Equal(16, padded.Length);
        Assert.Equal([261, 261, 261, 261, 1, 2, E, 1, 2, E, 1, 2, E, 1, 2, E], padded);
        Assert.Equal(Enc.Sequence(Ids(12)), (Enc with { Pad16 = true }).Tokens(Ids(12))); // 16 already: no pad
        Assert.True(new MultiEos().Pad16);
        Assert.Equal((2048, 512, 4), (new MultiEos().ContextLength, new MultiEos().EosChunkSize, new MultiEos().EosPerPiece));
        Assert.Equal([7, 8, E], TextEncoding.Single.Tokens([7, 8]));
        Assert.Equal(new MultiEos(), TextEncoding.Parse("multi-eos"));
        Assert.Same(TextEncoding.Single, TextEncoding.Parse("single-eos"));
        Assert.Contains("single-eos or multi-eos", Assert.Throws<ArgumentException>(() => TextEncoding.Parse("triple")).Message);
    }

    [Fact]
    public void Floor_division_gives_the_eos_count_and_bad_lengths_are_refused()
    {
        Assert.Equal(3, new MultiEos { ContextLength = 40, EosChunkSize = 12 }.EosPerPiece);
        Assert.Contains("must not exceed", Assert.Throws<ArgumentOutOfRangeException>(() => new MultiEos { ContextLength = 8, EosChunkSize = 9 }.Sequence([1])).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new MultiEos { EosChunkSize = 0 }.Sequence([1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MultiEos { ContextLength = -1 }.Tokens([1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => EmbeddingModel.Load(Fixtures.PathOf("mini-fp16.emb.pth"),
            new ModelOptions { Device = "cpu", Encoding = new MultiEos { ContextLength = 4, EosChunkSize = 5 } }));
    }
}
