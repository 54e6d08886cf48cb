namespace RwkvNative;

/// <summary>Arithmetic the linear layers run in (<see cref="ModelOptions.Precision"/>).</summary>
public enum Precision
{
    /// <summary>float32 everywhere (the reference; default).</summary>
    Float32,

    /// <summary>
    /// CPU only, opt-in: the six large matrices of every block (receptance, key, value, output, FFN key and value) are
    /// quantised once at load to int8 per output channel and multiplied with activations quantised per row at run time
    /// (int32 accumulation). LoRA projections, heads, norms and the recurrence stay float32. Embeddings keep cosine
    /// ≥ 0.999 to <see cref="Float32"/> (docs/benchmarks.md, verify --precision int8).
    /// </summary>
    Int8,
}
