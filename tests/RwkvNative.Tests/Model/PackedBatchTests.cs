using RwkvNative.Model;

namespace RwkvNative.Tests.Model;

public sealed class PackedBatchTests
{
    [Fact]
    public void Packing_lays_sequences_back_to_back_with_offsets_and_row_owners()
    {
        var batch = PackedBatch.Pack([[1, 2, 3], [], [4], [5, 6]]);
        Assert.Equal(4, batch.Count);
        Assert.Equal(6, batch.TokenCount);
        Assert.Equal([1, 2, 3, 4, 5, 6], batch.Tokens.ToArray());
        Assert.Equal([0, 3, 3, 4, 6], batch.Offsets.ToArray());
        Assert.Equal([0, 0, 0, 2, 3, 3], batch.SequenceOf.ToArray());
        Assert.Equal([5, 6], batch.Sequence(3).ToArray());
        Assert.True(batch.Sequence(1).IsEmpty);
    }

    [Fact]
    public void A_slice_is_a_batch_of_its_own()
    {
        var slice = PackedBatch.Pack([[1, 2, 3], [], [4], [5, 6]]).Slice(1, 3);
        Assert.Equal([4, 5, 6], slice.Tokens.ToArray());
        Assert.Equal([0, 0, 1, 3], slice.Offsets.ToArray());
        Assert.Equal([1, 2, 2], slice.SequenceOf.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => PackedBatch.Pack([[1]]).Slice(0, 2));
    }

    [Fact]
    public void From_packed_gives_the_same_batch_as_packing()
    {
        var a = PackedBatch.FromPacked([1, 2, 3, 4], [0, 1, 1, 4]);
        var b = PackedBatch.Pack([[1], [], [2, 3, 4]]);
        Assert.Equal(b.Tokens.ToArray(), a.Tokens.ToArray());
        Assert.Equal(b.Offsets.ToArray(), a.Offsets.ToArray());
        Assert.Equal(b.SequenceOf.ToArray(), a.SequenceOf.ToArray());
    }

    [Fact]
    public void A_bad_token_is_named_by_sequence_and_position()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => PackedBatch.Pack([[1, 2], [3, 65536, 4]]));
        Assert.Contains("sequence 1: token 65536 at position 1 is outside 0..65535", e.Message);
        Assert.Equal("sequences", e.ParamName);
        var packed = Assert.Throws<ArgumentOutOfRangeException>(() => PackedBatch.FromPacked([1, 2, -3], [0, 1, 3]));
        Assert.Contains("sequence 1: token -3 at position 1", packed.Message);
        var missing = Assert.Throws<ArgumentNullException>(() => PackedBatch.Pack([[1], null!]));
        Assert.Contains("sequence 1 is null", missing.Message);
    }

    [Theory]
    [InlineData(new int[0], "B + 1")]
    [InlineData(new[] { 1, 3 }, "offsets[0] must be 0")]
    [InlineData(new[] { 0, 2, 1, 3 }, "must not decrease")]
    [InlineData(new[] { 0, 2 }, "but there are 3 tokens")]
    public void Bad_offsets_are_refused_saying_what_is_wrong(int[] offsets, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => PackedBatch.FromPacked([1, 2, 3], offsets));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void One_token_each_is_the_reranker_layout()
    {
        var batch = PackedBatch.OneTokenEach(3);
        Assert.Equal([0, 0, 0], batch.Tokens.ToArray());
        Assert.Equal([0, 1, 2, 3], batch.Offsets.ToArray());
        Assert.Equal([0, 1, 2], batch.SequenceOf.ToArray());
    }
}
