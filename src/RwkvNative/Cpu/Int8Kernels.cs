// Register-tiled int8 micro-kernels of the CPU GEMM, one family per instruction set. Each computes the exact int32
// dot products of one tile of quantised activations with one packed Int8Weight panel over the whole of K; one
// float32 epilogue, shared by every family, scales them. Integer sums do not depend on order, so every family gives
// the same bits. Unrolled by hand, in GemmKernels' shape, on purpose: named accumulator locals stay in registers.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using static RwkvNative.Cpu.IRowCount;

namespace RwkvNative.Cpu;

/// <summary>
/// Micro-kernels. Common layout:
/// a: quantised activations, row r at a + r · lda (lda = Kp bytes, u = q + 128);
/// b: one packed panel, [Kp/4][32][4] signed bytes (see <see cref="Int8Weight"/>);
/// bias: the panel's 32 <see cref="Int8Weight.OffsetCorrection"/> entries;
/// acc: int32 tile, row r at acc + r · 32, receives Σ_k q[r, k] · Q[n, k] exactly.
/// </summary>
internal static unsafe class Int8Kernels
{
    /// <summary>Rows per tile.</summary>
    public const int MR = 8;

    /// <summary>Outputs per tile = panel width.</summary>
    public const int NR = Int8Weight.PanelWidth;

    /// <summary>Bytes of one k-quad of a panel: 32 outputs × 4 inputs.</summary>
    private const int QuadBytes = NR * 4;

    /// <summary>Whether <paramref name="isa"/> runs on this machine.</summary>
    public static bool IsSupported(Int8Isa isa) => isa switch
    {
        Int8Isa.Scalar => true,
        Int8Isa.ArmDot => Dp.IsSupported,
        Int8Isa.Avx512BW => Avx512BW.IsSupported,
        Int8Isa.AvxVnni => AvxVnni.IsSupported,
        _ => false,
    };

    /// <summary>Largest weight level the kernels of <paramref name="isa"/> multiply without saturating.</summary>
    public static int MaxLevels(Int8Isa isa) => isa == Int8Isa.Avx512BW ? Int8Weight.PairSafeLevels : Int8Weight.FullLevels;

    /// <summary>acc[rows × 32] = exact int32 products of <paramref name="rows"/> (1..MR) rows with one panel.</summary>
    public static void Tile(Int8Isa isa, int rows, byte* a, nint lda, sbyte* b, int quads, int* bias, int* acc)
    {
        switch (isa)
        {
            case Int8Isa.Avx512BW:
                switch (rows)
                {
                    case 1: Tile512<Rows1>(a, lda, b, quads, bias, acc); break;
                    case 2: Tile512<Rows2>(a, lda, b, quads, bias, acc); break;
                    case 3: Tile512<Rows3>(a, lda, b, quads, bias, acc); break;
                    case 4: Tile512<Rows4>(a, lda, b, quads, bias, acc); break;
                    case 5: Tile512<Rows5>(a, lda, b, quads, bias, acc); break;
                    case 6: Tile512<Rows6>(a, lda, b, quads, bias, acc); break;
                    case 7: Tile512<Rows7>(a, lda, b, quads, bias, acc); break;
                    default: Tile512<Rows8>(a, lda, b, quads, bias, acc); break;
                }
                break;
            case Int8Isa.AvxVnni:
                for (int r0 = 0; r0 < rows; r0 += 4)
                {
                    byte* ar = a + r0 * lda;
                    int* cr = acc + r0 * NR;
                    for (int half = 0; half < 2; half++)
                    {
                        switch (Math.Min(4, rows - r0))
                        {
                            case 1: HalfVnni<Rows1>(ar, lda, b, half, quads, bias, cr); break;
                            case 2: HalfVnni<Rows2>(ar, lda, b, half, quads, bias, cr); break;
                            case 3: HalfVnni<Rows3>(ar, lda, b, half, quads, bias, cr); break;
                            default: HalfVnni<Rows4>(ar, lda, b, half, quads, bias, cr); break;
                        }
                    }
                }
                break;
            case Int8Isa.ArmDot:
                for (int r0 = 0; r0 < rows; r0 += 4)
                {
                    byte* ar = a + r0 * lda;
                    int* cr = acc + r0 * NR;
                    for (int half = 0; half < 2; half++)
                    {
                        switch (Math.Min(4, rows - r0))
                        {
                            case 1: HalfDot<Rows1>(ar, lda, b, half, quads, cr); break;
                            case 2: HalfDot<Rows2>(ar, lda, b, half, quads, cr); break;
                            case 3: HalfDot<Rows3>(ar, lda, b, half, quads, cr); break;
                            default: HalfDot<Rows4>(ar, lda, b, half, quads, cr); break;
                        }
                    }
                }
                break;
            default:
                TileScalar(rows, a, lda, b, quads, bias, acc);
                break;
        }
    }

    /// <summary>
    /// y[r, j] = (acc[r, j] + 128 · Σ_k Q[j, k] for unsigned rows) · (rowScale[r] · colScale[j]) (+ y[r, j] when
    /// <paramref name="load"/>) for j &lt; cols: the epilogue of every family (same operations whatever the width).
    /// bias is the panel's <see cref="Int8Weight.OffsetCorrection"/> (-128 · Σ Q), so unsigned rows subtract it.
    /// </summary>
    public static void Store(int rows, int cols, int* acc, float* rowScale, bool* unsigned, int* bias, float* colScale, float* y, nint ldy, bool load)
    {
        int vw = Vector<float>.Count;
        for (int r = 0; r < rows; r++)
        {
            float s = rowScale[r];
            int* ar = acc + r * NR;
            if (unsigned[r])
                for (int c = 0; c < NR; c++) ar[c] -= bias[c];
            float* yr = y + r * ldy;
            int j = 0;
            var vs = new Vector<float>(s);
            for (; j + vw <= cols; j += vw)
            {
                var v = Vector.ConvertToSingle(Vector.Load(ar + j)) * (vs * Vector.Load(colScale + j));
                (load ? Vector.Load(yr + j) + v : v).Store(yr + j);
            }
            for (; j < cols; j++)
            {
                float v = ar[j] * (s * colScale[j]);
                yr[j] = load ? yr[j] + v : v;
            }
        }
    }

    /// <summary>R rows × 32 outputs, 512-bit: per k-quad vpmaddubsw (u8 × s8 pairs → int16) then vpmaddwd by 1 (→ int32).</summary>
    // Deliberately the same unrolled shape as GemmKernels.Tile512 (another instruction and element type): the named
    // accumulators keep the tile in registers; a shared helper over them would spill.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile512<TR>(byte* a, nint lda, sbyte* b, int quads, int* bias, int* acc) where TR : struct, IRowCount
    {
        int rows = TR.Value;
        var ones = Vector512.Create((short)1);
        var init0 = Vector512.Load(bias);
        var init1 = Vector512.Load(bias + 16);
        Vector512<int> c00 = init0, c01 = init1, c10 = init0, c11 = init1, c20 = init0, c21 = init1, c30 = init0, c31 = init1,
            c40 = init0, c41 = init1, c50 = init0, c51 = init1, c60 = init0, c61 = init1, c70 = init0, c71 = init1;
        for (byte* end = a + 4 * quads; a < end; a += 4, b += QuadBytes)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 64);
            var s = Vector512.Create(*(int*)a).AsByte();
            c00 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(s, b0), ones);
            c01 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(s, b1), ones);
            if (rows > 1) { s = Vector512.Create(*(int*)(a + lda)).AsByte(); c10 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(s, b0), ones); c11 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(s, b1), ones); }
            if (rows > 2) { s = Vector512.Create(*(int*)(a + 2 * lda)).AsByte(); c20 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(s, b0), ones); c21 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(s, b1), ones); }
            if (rows > 3) { s = Vector512.Create(*(int*)(a + 3 * lda)).AsByte(); c30 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(s, b0), ones); c31 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(s, b1), ones); }
            if (rows > 4) { s = Vector512.Create(*(int*)(a + 4 * lda)).AsByte(); c40 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(s, b0), ones); c41 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(s, b1), ones); }
            if (rows > 5) { s = Vector512.Create(*(int*)(a + 5 * lda)).AsByte(); c50 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(s, b0), ones); c51 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(s, b1), ones); }
            if (rows > 6) { s = Vector512.Create(*(int*)(a + 6 * lda)).AsByte(); c60 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(s, b0), ones); c61 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(s, b1), ones); }
            if (rows > 7) { s = Vector512.Create(*(int*)(a + 7 * lda)).AsByte(); c70 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(s, b0), ones); c71 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(s, b1), ones); }
        }
        c00.Store(acc); c01.Store(acc + 16);
        if (rows > 1) { c10.Store(acc + NR); c11.Store(acc + NR + 16); }
        if (rows > 2) { c20.Store(acc + 2 * NR); c21.Store(acc + 2 * NR + 16); }
        if (rows > 3) { c30.Store(acc + 3 * NR); c31.Store(acc + 3 * NR + 16); }
        if (rows > 4) { c40.Store(acc + 4 * NR); c41.Store(acc + 4 * NR + 16); }
        if (rows > 5) { c50.Store(acc + 5 * NR); c51.Store(acc + 5 * NR + 16); }
        if (rows > 6) { c60.Store(acc + 6 * NR); c61.Store(acc + 6 * NR + 16); }
        if (rows > 7) { c70.Store(acc + 7 * NR); c71.Store(acc + 7 * NR + 16); }
    }

    /// <summary>
    /// R (≤ 4) rows × 16 outputs (half <paramref name="half"/> of the panel), 256-bit vpdpbusd: 8 accumulators, within
    /// the 16 registers of VEX encoding.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void HalfVnni<TR>(byte* a, nint lda, sbyte* b, int half, int quads, int* bias, int* acc) where TR : struct, IRowCount
    {
        int rows = TR.Value;
        int o = half * 16;
        var init0 = Vector256.Load(bias + o);
        var init1 = Vector256.Load(bias + o + 8);
        Vector256<int> c00 = init0, c01 = init1, c10 = init0, c11 = init1, c20 = init0, c21 = init1, c30 = init0, c31 = init1;
        b += half * 64;
        for (byte* end = a + 4 * quads; a < end; a += 4, b += QuadBytes)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 32);
            var s = Vector256.Create(*(int*)a).AsByte();
            c00 = AvxVnni.MultiplyWideningAndAdd(c00, s, b0); c01 = AvxVnni.MultiplyWideningAndAdd(c01, s, b1);
            if (rows > 1) { s = Vector256.Create(*(int*)(a + lda)).AsByte(); c10 = AvxVnni.MultiplyWideningAndAdd(c10, s, b0); c11 = AvxVnni.MultiplyWideningAndAdd(c11, s, b1); }
            if (rows > 2) { s = Vector256.Create(*(int*)(a + 2 * lda)).AsByte(); c20 = AvxVnni.MultiplyWideningAndAdd(c20, s, b0); c21 = AvxVnni.MultiplyWideningAndAdd(c21, s, b1); }
            if (rows > 3) { s = Vector256.Create(*(int*)(a + 3 * lda)).AsByte(); c30 = AvxVnni.MultiplyWideningAndAdd(c30, s, b0); c31 = AvxVnni.MultiplyWideningAndAdd(c31, s, b1); }
        }
        acc += o;
        c00.Store(acc); c01.Store(acc + 8);
        if (rows > 1) { c10.Store(acc + NR); c11.Store(acc + NR + 8); }
        if (rows > 2) { c20.Store(acc + 2 * NR); c21.Store(acc + 2 * NR + 8); }
        if (rows > 3) { c30.Store(acc + 3 * NR); c31.Store(acc + 3 * NR + 8); }
    }

    /// <summary>
    /// R (≤ 4) rows × 16 outputs, 128-bit sdot (signed × signed): the activation bytes are turned back into q = u - 128
    /// by flipping their top bit, so no offset correction is needed. 16 accumulators: sized for NEON's 32 registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void HalfDot<TR>(byte* a, nint lda, sbyte* b, int half, int quads, int* acc) where TR : struct, IRowCount
    {
        int rows = TR.Value;
        Vector128<int> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default;
        Vector128<int> c20 = default, c21 = default, c22 = default, c23 = default, c30 = default, c31 = default, c32 = default, c33 = default;
        var flip = Vector128.Create(unchecked((int)0x80808080));
        b += half * 64;
        for (byte* end = a + 4 * quads; a < end; a += 4, b += QuadBytes)
        {
            var b0 = Vector128.Load(b);
            var b1 = Vector128.Load(b + 16);
            var b2 = Vector128.Load(b + 32);
            var b3 = Vector128.Load(b + 48);
            var s = (Vector128.Create(*(int*)a) ^ flip).AsSByte();
            c00 = Dp.DotProduct(c00, s, b0); c01 = Dp.DotProduct(c01, s, b1); c02 = Dp.DotProduct(c02, s, b2); c03 = Dp.DotProduct(c03, s, b3);
            if (rows > 1)
            {
                s = (Vector128.Create(*(int*)(a + lda)) ^ flip).AsSByte();
                c10 = Dp.DotProduct(c10, s, b0); c11 = Dp.DotProduct(c11, s, b1); c12 = Dp.DotProduct(c12, s, b2); c13 = Dp.DotProduct(c13, s, b3);
            }
            if (rows > 2)
            {
                s = (Vector128.Create(*(int*)(a + 2 * lda)) ^ flip).AsSByte();
                c20 = Dp.DotProduct(c20, s, b0); c21 = Dp.DotProduct(c21, s, b1); c22 = Dp.DotProduct(c22, s, b2); c23 = Dp.DotProduct(c23, s, b3);
            }
            if (rows > 3)
            {
                s = (Vector128.Create(*(int*)(a + 3 * lda)) ^ flip).AsSByte();
                c30 = Dp.DotProduct(c30, s, b0); c31 = Dp.DotProduct(c31, s, b1); c32 = Dp.DotProduct(c32, s, b2); c33 = Dp.DotProduct(c33, s, b3);
            }
        }
        acc += half * 16;
        c00.Store(acc); c01.Store(acc + 4); c02.Store(acc + 8); c03.Store(acc + 12);
        if (rows > 1) { int* r = acc + NR; c10.Store(r); c11.Store(r + 4); c12.Store(r + 8); c13.Store(r + 12); }
        if (rows > 2) { int* r = acc + 2 * NR; c20.Store(r); c21.Store(r + 4); c22.Store(r + 8); c23.Store(r + 12); }
        if (rows > 3) { int* r = acc + 3 * NR; c30.Store(r); c31.Store(r + 4); c32.Store(r + 8); c33.Store(r + 12); }
    }

    /// <summary>Plain loops: Σ u · Q + OffsetCorrection per output.</summary>
    private static void TileScalar(int rows, byte* a, nint lda, sbyte* b, int quads, int* bias, int* acc)
    {
        for (int r = 0; r < rows; r++)
        {
            byte* ar = a + r * lda;
            int* cr = acc + r * NR;
            for (int j = 0; j < NR; j++)
            {
                int sum = bias[j];
                sbyte* bj = b + j * 4;
                for (int q = 0; q < quads; q++, bj += QuadBytes)
                {
                    byte* aq = ar + 4 * q;
                    sum += aq[0] * bj[0] + aq[1] * bj[1] + aq[2] * bj[2] + aq[3] * bj[3];
                }
                cr[j] = sum;
            }
        }
    }
}
