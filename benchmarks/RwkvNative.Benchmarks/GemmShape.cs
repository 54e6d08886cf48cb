namespace RwkvNative.Benchmarks;

/// <summary>One weight shape of the model: y[M, N] = x[M, K] · W[N, K]ᵀ.</summary>
/// <param name="Name">Which layer it is (att = r/k/v/o, ffn.key, ffn.value, LoRA down/up).</param>
/// <param name="N">Outputs.</param>
/// <param name="K">Inputs.</param>
internal readonly record struct GemmShape(string Name, int N, int K);
