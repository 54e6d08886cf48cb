namespace RwkvNative;

/// <summary>The small vector helpers users of embeddings and scores need; one definition for the CLI, server and adapters.</summary>
public static class EmbeddingMath
{
    /// <summary>Scales <paramref name="v"/> in place to unit L2 norm (sum of squares in double); a zero vector stays zero.</summary>
    public static void Normalize(float[] v)
    {
        ArgumentNullException.ThrowIfNull(v);
        double sum = 0;
        foreach (var x in v) sum += (double)x * x;
        if (sum == 0) return;
        float inv = (float)(1.0 / Math.Sqrt(sum));
        for (int i = 0; i < v.Length; i++) v[i] *= inv;
    }

    /// <summary>Cosine similarity of two vectors of equal length (computed in double); 0 when either is zero.</summary>
    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"vectors differ in length: {a.Length} vs {b.Length}", nameof(b));
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++) { dot += a[i] * (double)b[i]; na += a[i] * (double)a[i]; nb += b[i] * (double)b[i]; }
        return na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
    }

    /// <summary>sigmoid(x) = 1 / (1 + e^-x): a reranker logit as a score in (0, 1).</summary>
    public static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));
}
