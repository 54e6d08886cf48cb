namespace RwkvNative.Cpu;

/// <summary>A task head: embedding = LN(fc2(relu(fc1(f))) + f; norm).</summary>
internal sealed class TaskHead(LinearWeight fc1, LinearWeight fc2, float[] normW, float[] normB)
{
    /// <summary>features: [B, C]; embeddings: [B, C].</summary>
    public void Apply(ReadOnlySpan<float> features, int batch, Span<float> embeddings, int threads)
    {
        int c = normW.Length;
        var h = new float[batch * c];
        var h2 = new float[batch * c];
        Gemm.Linear(features, batch, fc1, h, false, threads);
        for (int i = 0; i < h.Length; i++) h[i] = MathF.Max(h[i], 0f);
        Gemm.Linear(h, batch, fc2, h2, false, threads);
        for (int b = 0; b < batch; b++)
        {
            var row = h2.AsSpan(b * c, c);
            Ops.Add(row, features.Slice(b * c, c));
            Ops.LayerNorm(row, normW, normB, embeddings.Slice(b * c, c));
        }
    }
}
