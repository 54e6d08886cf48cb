namespace RwkvNative.Model;

/// <summary>
/// How stored states keep their values: on disk (the document-state store) and resident in a backend's memory
/// (<see cref="Backends.StateStore"/>).
/// </summary>
public enum StatePrecision
{
    /// <summary>float32: bit-exact states.</summary>
    Float32,

    /// <summary>IEEE half precision: half the bytes; states are rounded to fp16 when written, widened to float32 when read.</summary>
    Float16,
}
