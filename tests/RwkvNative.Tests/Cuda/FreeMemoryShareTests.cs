using RwkvNative.Cuda;

namespace RwkvNative.Tests.Cuda;

/// <summary>The automatic sizes of a pass and of a streamed chunk both take one share of the free memory (pure arithmetic, no device).</summary>
public sealed class FreeMemoryShareTests
{
    [Fact]
    public void Units_that_fit_are_a_quarter_of_the_free_memory_rounded_down_and_never_negative()
    {
        Assert.Equal(25, FreeMemoryShare.UnitsThatFit(400, 4));
        Assert.Equal(24, FreeMemoryShare.UnitsThatFit(399, 4));
        Assert.Equal(0, FreeMemoryShare.UnitsThatFit(-5, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => FreeMemoryShare.UnitsThatFit(400, 0));
    }

    [Fact]
    public void A_pass_and_a_chunk_are_sized_from_the_same_share()
    {
        const long gib = 1L << 30;
        long perToken = PassSizing.BytesPerToken(768, 3072, 64);
        int tokens = PassSizing.TokensPerPass(null, perToken, 8 * gib);
        Assert.Equal(Math.Min(PassSizing.MaxTokens, FreeMemoryShare.UnitsThatFit(8 * gib, perToken) / 64 * 64), tokens);
        Assert.Equal(PassSizing.MinTokens, PassSizing.TokensPerPass(null, perToken, 0));
        Assert.Equal(100, PassSizing.TokensPerPass(100, perToken, 0));

        long staged = 1_000_000, batch = 2_000_000;
        int docs = HostStreaming.DocumentsPerChunk(null, 10_000, staged, batch, 4 * gib);
        Assert.Equal(FreeMemoryShare.UnitsThatFit(4 * gib, 2 * (staged + batch)), docs);
        Assert.Equal(7, HostStreaming.DocumentsPerChunk(null, 7, staged, batch, 4 * gib)); // never more than the documents
        Assert.Equal(1, HostStreaming.DocumentsPerChunk(null, 10, staged, batch, 0));
        Assert.Equal(3, HostStreaming.DocumentsPerChunk(3, 10, staged, batch, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => HostStreaming.DocumentsPerChunk(0, 10, staged, batch, gib));
    }
}
