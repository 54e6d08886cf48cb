namespace RwkvNative.Tests.Api;

/// <summary>EmbeddingMath: the helpers the CLI, server and adapters share.</summary>
public sealed class EmbeddingMathTests
{
    [Fact]
    public void Normalize_gives_unit_length_and_leaves_zero_alone()
    {
        var v = new[] { 3f, 4f };
        EmbeddingMath.Normalize(v);
        Assert.Equal([0.6f, 0.8f], v);
        var z = new[] { 0f, 0f };
        EmbeddingMath.Normalize(z);
        Assert.Equal([0f, 0f], z);
    }

    [Fact]
    public void Cosine_and_sigmoid_match_their_definitions()
    {
        Assert.Equal(1.0, EmbeddingMath.Cosine([1f, 2f], [2f, 4f]), 12);
        Assert.Equal(0.0, EmbeddingMath.Cosine([1f, 0f], [0f, 3f]), 12);
        Assert.Equal(0.0, EmbeddingMath.Cosine([0f, 0f], [1f, 1f]));
        Assert.Throws<ArgumentException>(() => EmbeddingMath.Cosine([1f], [1f, 2f]));
        Assert.Equal(0.5f, EmbeddingMath.Sigmoid(0f));
        Assert.Equal(1f / (1f + MathF.Exp(-2f)), EmbeddingMath.Sigmoid(2f));
    }
}
