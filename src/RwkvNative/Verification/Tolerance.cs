namespace RwkvNative.Verification;

/// <summary>How close a backend must come to the float32 reference tensors.</summary>
/// <param name="Absolute">Largest absolute difference allowed on embeddings, states, logits and scores.</param>
/// <param name="MinCosine">Smallest cosine similarity allowed between an embedding and its reference (0: not checked).</param>
/// <param name="SameRanking">Whether reranker cases must also order their documents exactly as the reference does.</param>
public sealed record Tolerance(double Absolute, double MinCosine, bool SameRanking = false)
{
    /// <summary>A float32 engine: 1e-4 absolute everywhere (only summation order differs from the reference).</summary>
    public static Tolerance Float32 { get; } = new(1e-4, 0);

    /// <summary>
    /// A reduced-precision engine (fp16/bf16 activations): embeddings judged by cosine ≥ 0.999, logits and scores within 2e-2
    /// (shared/reference/README.md); states are not compared element-wise.
    /// </summary>
    public static Tolerance Reduced { get; } = new(2e-2, 0.999);

    /// <summary>
    /// The CPU's int8 precision (<see cref="Precision.Int8"/>): embeddings by cosine ≥ 0.999, reranker logits and scores
    /// within 0.05, and the documents of every rerank case in the reference's order; states are not compared element-wise.
    /// </summary>
    public static Tolerance Int8 { get; } = new(5e-2, 0.999, SameRanking: true);

    /// <summary>The tolerance a backend running <paramref name="precision"/> is judged with (<paramref name="reduced"/>: fp16/bf16 activations).</summary>
    public static Tolerance For(Precision precision, bool reduced) =>
        precision == Precision.Int8 ? Int8 : reduced ? Reduced : Float32;

    internal bool IsReduced => MinCosine > 0;
}
