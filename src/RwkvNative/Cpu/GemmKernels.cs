// Register-tiled micro-kernels of the CPU GEMM, one family per instruction set. Each computes one tile of
// y = x · Wᵀ over a slice of K, reading W from its packed panel (see LinearWeight) and x from a packed block.
// The kernels are unrolled by hand and alike in shape (here and in Int8Kernels) on purpose: each accumulator is a named
// local so that the JIT keeps it in a register; a shared helper over an array or a span of vectors would spill them.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static RwkvNative.Cpu.IRowCount;

namespace RwkvNative.Cpu;

/// <summary>
/// Micro-kernels. Every output is one float32 accumulator that starts from zero (or from y) and adds x[k]·W[n, k]
/// with one fused multiply-add per k in increasing k, whatever the tile's row count: a row's result is then
/// bit-identical whether it is computed alone (M = 1), at any position of a batch, or with any thread split.
/// Common layout for every kernel:
/// a: x block, row r at a + r * <see cref="KcMax"/>, kc floats each (a single row may be any contiguous run);
/// b: W panel slice [kc][<see cref="NR"/>] (row k = the panel's outputs for input k);
/// c: y tile, row r at c + r * ldc, <see cref="NR"/> floats wide (or the half a kernel names);
/// load: start from c's values (accumulate) instead of zero.
/// </summary>
internal static unsafe class GemmKernels
{
    /// <summary>Rows of x per tile.</summary>
    public const int MR = 8;

    /// <summary>Outputs per tile = W panel width.</summary>
    public const int NR = LinearWeight.PanelWidth;

    /// <summary>Row stride of the packed x block and the largest K slice per pass.</summary>
    public const int KcMax = LinearWeight.KBlock;

    /// <summary>One full-width tile of <paramref name="rows"/> (1..MR) rows from a bf16 panel with the 512-bit kernels.</summary>
    public static void TileBFloat16(int rows, float* a, ushort* b, int kc, float* c, nint ldc, bool load)
        => Tile512<BFloat16Panel>(rows, a, (byte*)b, kc, c, ldc, load);

    private static void Tile512<TW>(int rows, float* a, byte* b, int kc, float* c, nint ldc, bool load) where TW : struct, IPanelRow512
    {
        switch (rows)
        {
            case 1: Tile512<Rows1, TW>(a, b, kc, c, ldc, load); break;
            case 2: Tile512<Rows2, TW>(a, b, kc, c, ldc, load); break;
            case 3: Tile512<Rows3, TW>(a, b, kc, c, ldc, load); break;
            case 4: Tile512<Rows4, TW>(a, b, kc, c, ldc, load); break;
            case 5: Tile512<Rows5, TW>(a, b, kc, c, ldc, load); break;
            case 6: Tile512<Rows6, TW>(a, b, kc, c, ldc, load); break;
            case 7: Tile512<Rows7, TW>(a, b, kc, c, ldc, load); break;
            default: Tile512<Rows8, TW>(a, b, kc, c, ldc, load); break;
        }
    }

    /// <summary>Dispatches one full-width tile of <paramref name="rows"/> (1..MR) rows to the kernel of <paramref name="isa"/>.</summary>
    public static void Tile(GemmIsa isa, int rows, float* a, float* b, int kc, float* c, nint ldc, bool load)
    {
        switch (isa)
        {
            case GemmIsa.Vector512:
                Tile512<SinglePanel>(rows, a, (byte*)b, kc, c, ldc, load);
                break;
            case GemmIsa.Vector256:
                for (int r0 = 0; r0 < rows; r0 += 4)
                {
                    float* ar = a + r0 * KcMax;
                    float* cr = c + r0 * ldc;
                    switch (Math.Min(4, rows - r0))
                    {
                        case 1: Half256<Rows1>(ar, b, kc, cr, ldc, load); Half256<Rows1>(ar, b + 16, kc, cr + 16, ldc, load); break;
                        case 2: Half256<Rows2>(ar, b, kc, cr, ldc, load); Half256<Rows2>(ar, b + 16, kc, cr + 16, ldc, load); break;
                        case 3: Half256<Rows3>(ar, b, kc, cr, ldc, load); Half256<Rows3>(ar, b + 16, kc, cr + 16, ldc, load); break;
                        default: Half256<Rows4>(ar, b, kc, cr, ldc, load); Half256<Rows4>(ar, b + 16, kc, cr + 16, ldc, load); break;
                    }
                }
                break;
            case GemmIsa.Vector128:
                for (int r0 = 0; r0 < rows; r0 += 4)
                {
                    float* ar = a + r0 * KcMax;
                    float* cr = c + r0 * ldc;
                    switch (Math.Min(4, rows - r0))
                    {
                        case 1: Half128<Rows1>(ar, b, kc, cr, ldc, load); Half128<Rows1>(ar, b + 16, kc, cr + 16, ldc, load); break;
                        case 2: Half128<Rows2>(ar, b, kc, cr, ldc, load); Half128<Rows2>(ar, b + 16, kc, cr + 16, ldc, load); break;
                        case 3: Half128<Rows3>(ar, b, kc, cr, ldc, load); Half128<Rows3>(ar, b + 16, kc, cr + 16, ldc, load); break;
                        default: Half128<Rows4>(ar, b, kc, cr, ldc, load); Half128<Rows4>(ar, b + 16, kc, cr + 16, ldc, load); break;
                    }
                }
                break;
            default:
                TileScalar(rows, a, b, kc, c, ldc, load);
                break;
        }
    }

    /// <summary>R rows × 32 outputs with 512-bit vectors: 2R accumulators, x broadcast from the packed block.</summary>
    // Deliberately the same unrolled shape as Int8Kernels.Tile512 (float FMA here, u8×s8 madd into int32 there): the 16
    // named accumulators are what keeps the tile in registers, and a shared helper over them would spill.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile512<TR, TW>(float* a, byte* b, int kc, float* c, nint ldc, bool load)
        where TR : struct, IRowCount where TW : struct, IPanelRow512
    {
        int rows = TR.Value;
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
            c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default,
            c60 = default, c61 = default, c70 = default, c71 = default;
        if (load)
        {
            c00 = Vector512.Load(c); c01 = Vector512.Load(c + 16);
            if (rows > 1) { c10 = Vector512.Load(c + ldc); c11 = Vector512.Load(c + ldc + 16); }
            if (rows > 2) { c20 = Vector512.Load(c + 2 * ldc); c21 = Vector512.Load(c + 2 * ldc + 16); }
            if (rows > 3) { c30 = Vector512.Load(c + 3 * ldc); c31 = Vector512.Load(c + 3 * ldc + 16); }
            if (rows > 4) { c40 = Vector512.Load(c + 4 * ldc); c41 = Vector512.Load(c + 4 * ldc + 16); }
            if (rows > 5) { c50 = Vector512.Load(c + 5 * ldc); c51 = Vector512.Load(c + 5 * ldc + 16); }
            if (rows > 6) { c60 = Vector512.Load(c + 6 * ldc); c61 = Vector512.Load(c + 6 * ldc + 16); }
            if (rows > 7) { c70 = Vector512.Load(c + 7 * ldc); c71 = Vector512.Load(c + 7 * ldc + 16); }
        }
        int step = NR * TW.ElementSize;
        // a walks along k; the other rows sit at constant offsets (KcMax), so each broadcast is one addressed load.
        for (float* end = a + kc; a < end; a++, b += step)
        {
            var b0 = TW.Low(b);
            var b1 = TW.High(b);
            var s = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(s, b0, c00); c01 = Vector512.FusedMultiplyAdd(s, b1, c01);
            if (rows > 1) { s = Vector512.Create(a[KcMax]); c10 = Vector512.FusedMultiplyAdd(s, b0, c10); c11 = Vector512.FusedMultiplyAdd(s, b1, c11); }
            if (rows > 2) { s = Vector512.Create(a[2 * KcMax]); c20 = Vector512.FusedMultiplyAdd(s, b0, c20); c21 = Vector512.FusedMultiplyAdd(s, b1, c21); }
            if (rows > 3) { s = Vector512.Create(a[3 * KcMax]); c30 = Vector512.FusedMultiplyAdd(s, b0, c30); c31 = Vector512.FusedMultiplyAdd(s, b1, c31); }
            if (rows > 4) { s = Vector512.Create(a[4 * KcMax]); c40 = Vector512.FusedMultiplyAdd(s, b0, c40); c41 = Vector512.FusedMultiplyAdd(s, b1, c41); }
            if (rows > 5) { s = Vector512.Create(a[5 * KcMax]); c50 = Vector512.FusedMultiplyAdd(s, b0, c50); c51 = Vector512.FusedMultiplyAdd(s, b1, c51); }
            if (rows > 6) { s = Vector512.Create(a[6 * KcMax]); c60 = Vector512.FusedMultiplyAdd(s, b0, c60); c61 = Vector512.FusedMultiplyAdd(s, b1, c61); }
            if (rows > 7) { s = Vector512.Create(a[7 * KcMax]); c70 = Vector512.FusedMultiplyAdd(s, b0, c70); c71 = Vector512.FusedMultiplyAdd(s, b1, c71); }
        }
        c00.Store(c); c01.Store(c + 16);
        if (rows > 1) { c10.Store(c + ldc); c11.Store(c + ldc + 16); }
        if (rows > 2) { c20.Store(c + 2 * ldc); c21.Store(c + 2 * ldc + 16); }
        if (rows > 3) { c30.Store(c + 3 * ldc); c31.Store(c + 3 * ldc + 16); }
        if (rows > 4) { c40.Store(c + 4 * ldc); c41.Store(c + 4 * ldc + 16); }
        if (rows > 5) { c50.Store(c + 5 * ldc); c51.Store(c + 5 * ldc + 16); }
        if (rows > 6) { c60.Store(c + 6 * ldc); c61.Store(c + 6 * ldc + 16); }
        if (rows > 7) { c70.Store(c + 7 * ldc); c71.Store(c + 7 * ldc + 16); }
    }

    /// <summary>R (≤ 4) rows × 16 outputs with 256-bit vectors; b and c point at the half of the panel to compute.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Half256<TR>(float* a, float* b, int kc, float* c, nint ldc, bool load) where TR : struct, IRowCount
    {
        int rows = TR.Value;
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        if (load)
        {
            c00 = Vector256.Load(c); c01 = Vector256.Load(c + 8);
            if (rows > 1) { c10 = Vector256.Load(c + ldc); c11 = Vector256.Load(c + ldc + 8); }
            if (rows > 2) { c20 = Vector256.Load(c + 2 * ldc); c21 = Vector256.Load(c + 2 * ldc + 8); }
            if (rows > 3) { c30 = Vector256.Load(c + 3 * ldc); c31 = Vector256.Load(c + 3 * ldc + 8); }
        }
        for (float* end = a + kc; a < end; a++, b += NR)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var s = Vector256.Create(a[0]);
            c00 = Vector256.FusedMultiplyAdd(s, b0, c00); c01 = Vector256.FusedMultiplyAdd(s, b1, c01);
            if (rows > 1) { s = Vector256.Create(a[KcMax]); c10 = Vector256.FusedMultiplyAdd(s, b0, c10); c11 = Vector256.FusedMultiplyAdd(s, b1, c11); }
            if (rows > 2) { s = Vector256.Create(a[2 * KcMax]); c20 = Vector256.FusedMultiplyAdd(s, b0, c20); c21 = Vector256.FusedMultiplyAdd(s, b1, c21); }
            if (rows > 3) { s = Vector256.Create(a[3 * KcMax]); c30 = Vector256.FusedMultiplyAdd(s, b0, c30); c31 = Vector256.FusedMultiplyAdd(s, b1, c31); }
        }
        c00.Store(c); c01.Store(c + 8);
        if (rows > 1) { c10.Store(c + ldc); c11.Store(c + ldc + 8); }
        if (rows > 2) { c20.Store(c + 2 * ldc); c21.Store(c + 2 * ldc + 8); }
        if (rows > 3) { c30.Store(c + 3 * ldc); c31.Store(c + 3 * ldc + 8); }
    }

    /// <summary>R (≤ 4) rows × 16 outputs with 128-bit vectors (16 accumulators: sized for NEON's 32 registers).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Half128<TR>(float* a, float* b, int kc, float* c, nint ldc, bool load) where TR : struct, IRowCount
    {
        int rows = TR.Value;
        Vector128<float> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default;
        Vector128<float> c20 = default, c21 = default, c22 = default, c23 = default, c30 = default, c31 = default, c32 = default, c33 = default;
        if (load)
        {
            c00 = Vector128.Load(c); c01 = Vector128.Load(c + 4); c02 = Vector128.Load(c + 8); c03 = Vector128.Load(c + 12);
            if (rows > 1) { float* r = c + ldc; c10 = Vector128.Load(r); c11 = Vector128.Load(r + 4); c12 = Vector128.Load(r + 8); c13 = Vector128.Load(r + 12); }
            if (rows > 2) { float* r = c + 2 * ldc; c20 = Vector128.Load(r); c21 = Vector128.Load(r + 4); c22 = Vector128.Load(r + 8); c23 = Vector128.Load(r + 12); }
            if (rows > 3) { float* r = c + 3 * ldc; c30 = Vector128.Load(r); c31 = Vector128.Load(r + 4); c32 = Vector128.Load(r + 8); c33 = Vector128.Load(r + 12); }
        }
        for (float* end = a + kc; a < end; a++, b += NR)
        {
            var b0 = Vector128.Load(b);
            var b1 = Vector128.Load(b + 4);
            var b2 = Vector128.Load(b + 8);
            var b3 = Vector128.Load(b + 12);
            var s = Vector128.Create(a[0]);
            c00 = Vector128.FusedMultiplyAdd(s, b0, c00); c01 = Vector128.FusedMultiplyAdd(s, b1, c01);
            c02 = Vector128.FusedMultiplyAdd(s, b2, c02); c03 = Vector128.FusedMultiplyAdd(s, b3, c03);
            if (rows > 1)
            {
                s = Vector128.Create(a[KcMax]);
                c10 = Vector128.FusedMultiplyAdd(s, b0, c10); c11 = Vector128.FusedMultiplyAdd(s, b1, c11);
                c12 = Vector128.FusedMultiplyAdd(s, b2, c12); c13 = Vector128.FusedMultiplyAdd(s, b3, c13);
            }
            if (rows > 2)
            {
                s = Vector128.Create(a[2 * KcMax]);
                c20 = Vector128.FusedMultiplyAdd(s, b0, c20); c21 = Vector128.FusedMultiplyAdd(s, b1, c21);
                c22 = Vector128.FusedMultiplyAdd(s, b2, c22); c23 = Vector128.FusedMultiplyAdd(s, b3, c23);
            }
            if (rows > 3)
            {
                s = Vector128.Create(a[3 * KcMax]);
                c30 = Vector128.FusedMultiplyAdd(s, b0, c30); c31 = Vector128.FusedMultiplyAdd(s, b1, c31);
                c32 = Vector128.FusedMultiplyAdd(s, b2, c32); c33 = Vector128.FusedMultiplyAdd(s, b3, c33);
            }
        }
        c00.Store(c); c01.Store(c + 4); c02.Store(c + 8); c03.Store(c + 12);
        if (rows > 1) { float* r = c + ldc; c10.Store(r); c11.Store(r + 4); c12.Store(r + 8); c13.Store(r + 12); }
        if (rows > 2) { float* r = c + 2 * ldc; c20.Store(r); c21.Store(r + 4); c22.Store(r + 8); c23.Store(r + 12); }
        if (rows > 3) { float* r = c + 3 * ldc; c30.Store(r); c31.Store(r + 4); c32.Store(r + 8); c33.Store(r + 12); }
    }

    /// <summary>dst[i] = bf16 src[i] as float32 (exact: the bits move to the top half); count is a multiple of 32.</summary>
    public static void WidenBFloat16(GemmIsa isa, ushort* src, float* dst, long count)
    {
        long i = 0;
        switch (isa)
        {
            case GemmIsa.Vector512:
                for (; i + 32 <= count; i += 32)
                {
                    var (lo, hi) = Vector512.Widen(Vector512.Load(src + i));
                    Vector512.ShiftLeft(lo, 16).AsSingle().Store(dst + i);
                    Vector512.ShiftLeft(hi, 16).AsSingle().Store(dst + i + 16);
                }
                break;
            case GemmIsa.Vector256:
                for (; i + 16 <= count; i += 16)
                {
                    var (lo, hi) = Vector256.Widen(Vector256.Load(src + i));
                    Vector256.ShiftLeft(lo, 16).AsSingle().Store(dst + i);
                    Vector256.ShiftLeft(hi, 16).AsSingle().Store(dst + i + 8);
                }
                break;
            case GemmIsa.Vector128:
                for (; i + 8 <= count; i += 8)
                {
                    var (lo, hi) = Vector128.Widen(Vector128.Load(src + i));
                    Vector128.ShiftLeft(lo, 16).AsSingle().Store(dst + i);
                    Vector128.ShiftLeft(hi, 16).AsSingle().Store(dst + i + 4);
                }
                break;
        }
        for (; i < count; i++) dst[i] = BitConverter.UInt32BitsToSingle((uint)src[i] << 16);
    }

    /// <summary>Plain loops, one float accumulator per output, the same operation order as the vector kernels.</summary>
    private static void TileScalar(int rows, float* a, float* b, int kc, float* c, nint ldc, bool load)
    {
        float* acc = stackalloc float[NR];
        for (int r = 0; r < rows; r++)
        {
            float* ar = a + r * KcMax;
            float* cr = c + r * ldc;
            for (int j = 0; j < NR; j++) acc[j] = load ? cr[j] : 0f;
            for (int k = 0; k < kc; k++)
            {
                float s = ar[k];
                float* bk = b + k * NR;
                for (int j = 0; j < NR; j++) acc[j] = MathF.FusedMultiplyAdd(s, bk[j], acc[j]);
            }
            for (int j = 0; j < NR; j++) cr[j] = acc[j];
        }
    }
}
