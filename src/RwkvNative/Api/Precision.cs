namespace RwkvNative;

/// <summary>Arithmetic the linear layers run in (<see cref="ModelOptions.Precision"/>).</summary>
public enum Precision
{
    /// <summary>float32 everywhere (the reference; default).</summary>
    Float32,

    /// <summary>
    /// CPU only, opt-in: the FFN matrices of every block (key and value, 2/3 of the large-matrix work) are quantised
    /// once at load to int8 per output channel and multiplied with activations quantised per row at run time (int32
    /// accumulation). Attention projections, LoRA projections, heads, norms and the recurrence stay float32: the
    /// attention projections feed the recurrent state and cost too much accuracy in int8 (docs/benchmarks.md).
    /// Embeddings keep cosine ≥ 0.999 to the float32 reference (verify --precision int8).
    /// </summary>
    Int8,
}
