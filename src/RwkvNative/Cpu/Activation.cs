namespace RwkvNative.Cpu;

/// <summary>Element-wise activations applied between linear layers.</summary>
internal enum Activation
{
    /// <summary>Identity.</summary>
    None,
    /// <summary>tanh (decay LoRA).</summary>
    Tanh,
    /// <summary>Logistic sigmoid (gate LoRA).</summary>
    Sigmoid,
    /// <summary>relu(x)² (channel mix).</summary>
    ReluSquared,
}
