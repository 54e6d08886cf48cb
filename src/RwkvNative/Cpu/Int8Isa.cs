namespace RwkvNative.Cpu;

/// <summary>Instruction sets the int8 GEMM has micro-kernels for.</summary>
internal enum Int8Isa
{
    /// <summary>Portable scalar loops.</summary>
    Scalar,
    /// <summary>Arm dot product (sdot, <c>AdvSimd.Dp</c>), 128-bit, signed × signed.</summary>
    ArmDot,
    /// <summary>
    /// AVX-512BW vpmaddubsw + vpmaddwd, 512-bit: the int8 path of AVX-512 CPUs whose VNNI .NET 10 does not expose
    /// (512-bit vpdpbusd arrives as AvxVnni.V512 in .NET 11). vpmaddubsw sums product pairs in saturating int16, so
    /// weights are quantised to ±<see cref="Int8Weight.PairSafeLevels"/> (255 · 63 · 2 &lt; 32767: never saturates).
    /// </summary>
    Avx512BW,
    /// <summary>AVX-VNNI vpdpbusd (<c>AvxVnni</c>), 256-bit, unsigned × signed into int32.</summary>
    AvxVnni,
}
