namespace RwkvNative.Cpu;

/// <summary>Element type a <see cref="LinearWeight"/> keeps in memory.</summary>
internal enum WeightFormat
{
    /// <summary>IEEE single.</summary>
    Float32,
    /// <summary>bfloat16 (exactly what a bf16 checkpoint holds), widened to float32 just before the micro-kernel.</summary>
    BFloat16,
    /// <summary>int8 per output channel (<see cref="Int8Weight"/>), multiplied by the int8 GEMM (<see cref="Precision.Int8"/>).</summary>
    Int8,
}
