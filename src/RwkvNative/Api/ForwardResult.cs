using RwkvNative.Model;

namespace RwkvNative;

/// <summary>What <see cref="EmbeddingModel.Forward"/> returns.</summary>
public sealed class ForwardResult
{
    internal ForwardResult(float[]?[] embeddings, ModelState state)
    {
        Embeddings = embeddings;
        State = state;
    }

    /// <summary>Per sequence: its embedding [C], or null when the sequence holds no EOS (65535) token.</summary>
    public IReadOnlyList<float[]?> Embeddings { get; }

    /// <summary>The state after the last token of every sequence: [L,2,B,C] + [L,B,H,64,64].</summary>
    public ModelState State { get; }

    /// <summary>The embedding of sequence <paramref name="index"/>; throws, naming the sequence, if it had no EOS token.</summary>
    public float[] GetEmbedding(int index) =>
        Embeddings[index] ?? throw new InvalidOperationException(
            $"sequence {index} has no EOS token (65535), so it has no embedding; append EOS (Encode(text, addEos: true))");
}
