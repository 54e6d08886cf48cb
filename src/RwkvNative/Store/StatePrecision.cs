namespace RwkvNative.Store;

/// <summary>How a store keeps state values on disk.</summary>
public enum StatePrecision
{
    /// <summary>float32: bit-exact states.</summary>
    Float32,

    /// <summary>IEEE half precision: half the bytes; states are rounded to fp16 when written, widened to float32 when read.</summary>
    Float16,
}
