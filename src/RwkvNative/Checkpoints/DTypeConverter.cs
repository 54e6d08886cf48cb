// Vectorised bf16/fp16 → fp32 widening, split across threads for large tensors.
using System.Numerics;
using System.Runtime.CompilerServices;

namespace RwkvNative.Checkpoints;

/// <summary>
/// Converts stored elements to float32. bf16 is the upper half of a float32, so widening is a 16-bit shift. fp16 uses
/// an exact branch-free bit conversion (normals rebias the exponent; subnormals renormalise through one float
/// subtraction; Inf/NaN keep an all-ones exponent) that vectorises with <see cref="Vector{T}"/>; .NET exposes no F16C
/// intrinsic, and this runs at memory speed anyway.
/// </summary>
internal static unsafe class DTypeConverter
{
    /// <summary>Below this many elements a conversion runs on the calling thread.</summary>
    private const long ParallelThreshold = 1 << 22;
    private const long ChunkElements = 1 << 20;

    /// <summary>Converts <paramref name="count"/> elements of <paramref name="dtype"/> at <paramref name="src"/> to float32 at <paramref name="dst"/>.</summary>
    public static void ToSingle(TensorDType dtype, byte* src, float* dst, long count)
    {
        if (count < ParallelThreshold || Environment.ProcessorCount == 1)
        {
            ConvertRange(dtype, src, dst, count);
            return;
        }
        long chunks = (count + ChunkElements - 1) / ChunkElements;
        int size = ElementSize(dtype);
        nint s = (nint)src, d = (nint)dst;
        Parallel.For(0L, chunks, c =>
        {
            long start = c * ChunkElements;
            long n = Math.Min(ChunkElements, count - start);
            ConvertRange(dtype, (byte*)s + start * size, (float*)d + start, n);
        });
    }

    /// <summary>Bytes per element.</summary>
    public static int ElementSize(TensorDType dtype) => dtype switch
    {
        TensorDType.BFloat16 => 2,
        TensorDType.Float16 => 2,
        TensorDType.Float32 => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    private static void ConvertRange(TensorDType dtype, byte* src, float* dst, long count)
    {
        switch (dtype)
        {
            case TensorDType.BFloat16: BFloat16ToSingle((ushort*)src, dst, count); break;
            case TensorDType.Float16: HalfToSingle((ushort*)src, dst, count); break;
            case TensorDType.Float32: Buffer.MemoryCopy(src, dst, count * 4, count * 4); break;
            default: throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null);
        }
    }

    /// <summary>bf16 → f32: each 16-bit pattern becomes the upper half of the float.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BFloat16ToSingle(ushort* src, float* dst, long count)
    {
        long i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int w = Vector<ushort>.Count;
            for (; i <= count - w; i += w)
            {
                var v = Unsafe.ReadUnaligned<Vector<ushort>>(src + i);
                Vector.Widen(v, out Vector<uint> lo, out Vector<uint> hi);
                Unsafe.WriteUnaligned(dst + i, Vector.ShiftLeft(lo, 16));
                Unsafe.WriteUnaligned(dst + i + w / 2, Vector.ShiftLeft(hi, 16));
            }
        }
        for (; i < count; i++) ((uint*)dst)[i] = (uint)src[i] << 16;
    }

    /// <summary>fp16 → f32, exact for every value (NaNs stay NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void HalfToSingle(ushort* src, float* dst, long count)
    {
        long i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var lowMask = new Vector<uint>(0x7FFF);
            var expMask = new Vector<uint>(ShiftedExponent);
            var rebias = new Vector<uint>(Rebias);
            var infNanRebias = new Vector<uint>(InfNanRebias);
            var one = new Vector<uint>(1u << 23);
            var magic = Vector.AsVectorSingle(new Vector<uint>(Magic));
            var signMask = new Vector<uint>(0x8000);
            int w = Vector<ushort>.Count;
            for (; i <= count - w; i += w)
            {
                var v = Unsafe.ReadUnaligned<Vector<ushort>>(src + i);
                Vector.Widen(v, out Vector<uint> lo, out Vector<uint> hi);
                // The bit conversion is written out here rather than in a helper: debug builds do not inline, and a call per
                // vector halves the speed there.
                var o0 = Vector.ShiftLeft(lo & lowMask, 13);
                var o1 = Vector.ShiftLeft(hi & lowMask, 13);
                var e0 = o0 & expMask;
                var e1 = o1 & expMask;
                o0 += rebias;
                o1 += rebias;
                o0 = Vector.ConditionalSelect(Vector.Equals(e0, expMask), o0 + infNanRebias, o0);
                o1 = Vector.ConditionalSelect(Vector.Equals(e1, expMask), o1 + infNanRebias, o1);
                o0 = Vector.ConditionalSelect(Vector.Equals(e0, Vector<uint>.Zero), Vector.AsVectorUInt32(Vector.AsVectorSingle(o0 + one) - magic), o0);
                o1 = Vector.ConditionalSelect(Vector.Equals(e1, Vector<uint>.Zero), Vector.AsVectorUInt32(Vector.AsVectorSingle(o1 + one) - magic), o1);
                Unsafe.WriteUnaligned(dst + i, o0 | Vector.ShiftLeft(lo & signMask, 16));
                Unsafe.WriteUnaligned(dst + i + w / 2, o1 | Vector.ShiftLeft(hi & signMask, 16));
            }
        }
        for (; i < count; i++) dst[i] = HalfBitsToSingle(src[i]);
    }

    private const uint ShiftedExponent = 0x7C00u << 13;
    private const uint Rebias = (127 - 15) << 23;
    private const uint InfNanRebias = (128 - 16) << 23;
    private const uint Magic = 113u << 23; // 2^-14 as float bits

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float HalfBitsToSingle(ushort h)
    {
        uint o = (uint)(h & 0x7FFF) << 13;
        uint exp = o & ShiftedExponent;
        o += Rebias;
        if (exp == ShiftedExponent) o += InfNanRebias;
        else if (exp == 0) o = BitConverter.SingleToUInt32Bits(BitConverter.UInt32BitsToSingle(o + (1u << 23)) - BitConverter.UInt32BitsToSingle(Magic));
        return BitConverter.UInt32BitsToSingle(o | ((uint)(h & 0x8000) << 16));
    }
}
