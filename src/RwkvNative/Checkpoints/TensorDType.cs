namespace RwkvNative.Checkpoints;

/// <summary>Element type of a stored tensor.</summary>
public enum TensorDType
{
    /// <summary>bfloat16.</summary>
    BFloat16,
    /// <summary>IEEE half.</summary>
    Float16,
    /// <summary>IEEE single.</summary>
    Float32,
}
