using System.Buffers;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace RwkvNative.Cpu;

/// <summary>
/// y[M, N] = x[M, K] · W[N, K]ᵀ with W quantised per output channel (<see cref="Int8Weight"/>) and x quantised per row
/// at the start of the call (<see cref="Int8Activations"/>): int32 accumulation over the whole of K, one float32
/// rescale per output. Entered through <see cref="Gemm.Linear(ReadOnlySpan{float}, int, LinearWeight, Span{float}, bool)"/>
/// for weights loaded with <see cref="Precision.Int8"/>.
/// </summary>
/// <remarks>
/// Work is cut into tasks of (up to 128 rows) × (a group of panels), run in parallel; inside a task each panel
/// (32 outputs × K bytes: at most 96 KB, L2) is reused by every 8-row tile of the task's rows (128 × K bytes, L2).
/// A row's result depends only on its own bytes (integer sums are exact), so results are bit-identical across
/// batchings, thread counts and kernel families.
/// </remarks>
internal static class Int8Gemm
{
    /// <summary>The int8 kernel family this machine runs best (VNNI, else AVX-512BW, else Arm dot product, else scalar).</summary>
    public static Int8Isa BestIsa { get; } =
        AvxVnni.IsSupported ? Int8Isa.AvxVnni
        : Avx512BW.IsSupported ? Int8Isa.Avx512BW
        : Dp.IsSupported ? Int8Isa.ArmDot
        : Int8Isa.Scalar;

    /// <summary>Weight levels to quantise to at load for <see cref="BestIsa"/>.</summary>
    public static int WeightLevels => Int8Kernels.MaxLevels(BestIsa);

    /// <summary>Rows of x per task.</summary>
    private const int RowBlock = 128;

    /// <summary>Below this many multiply-adds a call runs on the calling thread (int8 is ~2-4x faster than float32).</summary>
    private const long SerialWork = 1 << 21;

    /// <summary>Rows × K bytes below which quantising x runs on the calling thread.</summary>
    private const long SerialQuantize = 1 << 16;

    /// <summary>
    /// y = x · Wᵀ (or y += x · Wᵀ when <paramref name="accumulate"/>) with kernels of <paramref name="isa"/>, at most
    /// <paramref name="maxThreads"/> threads. x: [M, K] row-major; y: [M, N] row-major (must not overlap x).
    /// </summary>
    public static unsafe void Run(ReadOnlySpan<float> x, int m, Int8Weight w, Span<float> y, bool accumulate, int maxThreads, Int8Isa isa)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxThreads, 1);
        if (!Int8Kernels.IsSupported(isa)) throw new PlatformNotSupportedException($"int8 GEMM kernels for {isa} do not run on this machine");
        if (w.Levels > Int8Kernels.MaxLevels(isa))
            throw new InvalidOperationException(
                $"weights quantised to ±{w.Levels} would saturate the {isa} kernels (at most ±{Int8Kernels.MaxLevels(isa)}); quantise with Int8Kernels.MaxLevels({isa})");
        int n = w.Outputs, k = w.Inputs, kp = w.PaddedInputs;
        if (x.Length < (long)m * k) throw new ArgumentException($"x has {x.Length} elements, needs {m}x{k}", nameof(x));
        if (y.Length < (long)m * n) throw new ArgumentException($"y has {y.Length} elements, needs {m}x{n}", nameof(y));
        if (m == 0) return;

        int threads = Math.Min(maxThreads, Environment.ProcessorCount);
        int panels = w.Panels;
        int rowBlock = Math.Min(m, RowBlock);
        int rowBlocks = (m + rowBlock - 1) / rowBlock;
        bool serial = threads == 1 || (long)m * n * k < SerialWork;
        int groupPanels = serial ? panels : Math.Max(1, panels * rowBlocks / (threads * 4));
        groupPanels = Math.Min(groupPanels, panels);
        int groups = (panels + groupPanels - 1) / groupPanels;
        int tasks = groups * rowBlocks;

        byte[] quantized = ArrayPool<byte>.Shared.Rent(m * kp);
        float[] scales = ArrayPool<float>.Shared.Rent(m);
        bool[] unsigned = ArrayPool<bool>.Shared.Rent(m);
        try
        {
            fixed (float* px = x, py = y, ps = scales, pscale = w.Scales)
            fixed (byte* pu = quantized)
            fixed (bool* pun = unsigned)
            fixed (sbyte* pw = w.Storage)
            fixed (int* pbias = w.OffsetCorrection)
            {
                var job = new Job(px, pu, ps, pun, pw + w.Offset, pbias, pscale, py, m, n, k, kp, accumulate, isa, rowBlock, groupPanels, groups);
                if (serial || (long)m * k < SerialQuantize) job.Quantize(0, m);
                else
                {
                    int chunks = Math.Min(m, threads * 4);
                    Parallel.For(0, chunks, CpuThreads.Options(threads),
                        i => job.Quantize((int)((long)m * i / chunks), (int)((long)m * (i + 1) / chunks)));
                }
                if (serial || tasks == 1)
                {
                    for (int t = 0; t < tasks; t++) job.Run(t);
                    return;
                }
                Parallel.For(0, tasks, CpuThreads.Options(threads), job.Run);
            }
        }
        finally
        {
            ArrayPool<bool>.Shared.Return(unsigned);
            ArrayPool<float>.Shared.Return(scales);
            ArrayPool<byte>.Shared.Return(quantized);
        }
    }

    /// <summary>One call's operands; <see cref="Run(int)"/> computes task t = (row block, panel group).</summary>
    private readonly unsafe struct Job(float* x, byte* u, float* rowScale, bool* unsigned, sbyte* w, int* bias, float* colScale, float* y,
        int m, int n, int k, int kp, bool accumulate, Int8Isa isa, int rowBlock, int groupPanels, int groups)
    {
        /// <summary>Quantises rows [start, end) of x.</summary>
        public void Quantize(int start, int end) =>
            Int8Activations.QuantizeRows(x + (long)start * k, end - start, k, u + (long)start * kp, kp, rowScale + start, unsigned + start);

        public void Run(int task)
        {
            const int NR = Int8Kernels.NR, MR = Int8Kernels.MR;
            int panels = (n + NR - 1) / NR, quads = kp / 4;
            int i0 = task / groups * rowBlock, i1 = Math.Min(m, i0 + rowBlock);
            int p0 = task % groups * groupPanels, p1 = Math.Min(panels, p0 + groupPanels);
            int* acc = stackalloc int[MR * NR];
            for (int p = p0; p < p1; p++)
            {
                sbyte* b = w + (long)p * NR * kp;
                int j = p * NR, cols = Math.Min(NR, n - j);
                for (int i = i0; i < i1; i += MR)
                {
                    int rows = Math.Min(MR, i1 - i);
                    Int8Kernels.Tile(isa, rows, u + (long)i * kp, kp, b, quads, bias + j, acc);
                    Int8Kernels.Store(rows, cols, acc, rowScale + i, unsigned + i, bias + j, colScale + j, y + (long)i * n + j, n, accumulate);
                }
            }
        }
    }
}
