namespace RwkvNative.Model;

/// <summary>How a checkpoint tensor is used, which decides how each backend stores it.</summary>
public enum TensorKind
{
    /// <summary>Per-channel parameters (norm weights and biases, lerp coefficients, r_k), read as float32.</summary>
    Vector,

    /// <summary><c>nn.Linear</c> weight [out, in]: y = x · Wᵀ.</summary>
    Linear,

    /// <summary>LoRA factor [in, out] stored as upstream multiplies it: y = x · W.</summary>
    Lora,

    /// <summary>Lookup table [rows, C] gathered by row (the token embedding, the reranker's start vector).</summary>
    Table,
}
