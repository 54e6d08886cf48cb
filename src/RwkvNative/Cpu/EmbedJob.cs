namespace RwkvNative.Cpu;

/// <summary>x[t] = LN(emb[token t]; ln0) for rows of the packed batch.</summary>
internal readonly struct EmbedJob(EmbeddingTable table, int[] tokens, float[] lnW, float[] lnB, float[] x, int c) : IRowJob
{
    public void Rows(int start, int end)
    {
        Span<float> raw = stackalloc float[c];
        for (int i = start; i < end; i++)
        {
            table.Row(tokens[i], raw);
            Ops.LayerNorm(raw, lnW, lnB, x.AsSpan(i * c, c));
        }
    }
}
