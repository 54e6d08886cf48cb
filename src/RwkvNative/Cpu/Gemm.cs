using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace RwkvNative.Cpu;

/// <summary>
/// Matrix products of the CPU backend: y[M, N] = x[M, K] · W[N, K]ᵀ, float32 inputs, float32 accumulation.
/// </summary>
/// <remarks>
/// Cache-blocked, register-tiled (GotoBLAS-style) with W prepacked once in <see cref="LinearWeight"/>:
/// work is cut into tasks of (up to 256 rows of x) × (a group of W panels) run in parallel; inside a task, K is
/// walked in slices of 256; each 8-row slice of x is copied into a small stack block that stays in L1 while the
/// group's W panels (≈ 256 KB, L2) stream through a micro-kernel holding an 8 × 32 tile of y in registers.
/// Because every K block of W is one sequential run of panels, small M (memory-bound) streams W once, front to back.
/// bf16 weights are widened in registers by the 512-bit kernels, or per task into a per-thread block for the others.
/// Every output is summed in the same order whatever M, its row's position and the thread count (see
/// <see cref="GemmKernels"/>), so results are bit-identical across batchings.
/// Calls are independent and may run concurrently from several threads.
/// </remarks>
public static class Gemm
{
    /// <summary>
    /// y = x · Wᵀ (or y += x · Wᵀ when <paramref name="accumulate"/>) with up to one thread per core.
    /// x: [M, K] row-major; y: [M, N] row-major (must not overlap x); W: [N, K].
    /// </summary>
    public static void Linear(ReadOnlySpan<float> x, int m, LinearWeight w, Span<float> y, bool accumulate = false)
        => Run(x, m, w, y, accumulate, Environment.ProcessorCount, BestIsa);

    /// <summary>
    /// y = x · Wᵀ (or y += x · Wᵀ when <paramref name="accumulate"/>) with at most <paramref name="maxThreads"/> threads.
    /// x: [M, K] row-major; y: [M, N] row-major (must not overlap x); W: [N, K].
    /// </summary>
    public static void Linear(ReadOnlySpan<float> x, int m, LinearWeight w, Span<float> y, bool accumulate, int maxThreads)
        => Run(x, m, w, y, accumulate, maxThreads, BestIsa);

    /// <summary>
    /// y = act(x · Wᵀ) with at most <paramref name="maxThreads"/> threads: <paramref name="act"/> is applied to each tile
    /// of y right after its last K slice, while the tile is in L1, instead of in a later pass over all of y; the bits are
    /// those of <see cref="Ops.Activate"/> on the finished y. x: [M, K]; y: [M, N]; W: [N, K].
    /// </summary>
    internal static void Linear(ReadOnlySpan<float> x, int m, LinearWeight w, Span<float> y, Activation act, int maxThreads)
        => Run(x, m, w, y, false, maxThreads, BestIsa, act);

    /// <summary>Which micro-kernels this machine runs ("Vector512", "Vector256", "Vector128" or "Scalar"), for diagnostics.</summary>
    public static string KernelName => BestIsa.ToString();

    /// <summary>Which int8 micro-kernels this machine runs for <see cref="Precision.Int8"/> weights ("AvxVnni", "Avx512BW", "ArmDot" or "Scalar").</summary>
    public static string Int8KernelName => Int8Gemm.BestIsa.ToString();

    /// <summary>The widest instruction set this machine runs the micro-kernels with.</summary>
    internal static GemmIsa BestIsa { get; } =
        Vector512.IsHardwareAccelerated ? GemmIsa.Vector512
        : Vector256.IsHardwareAccelerated && (System.Runtime.Intrinsics.X86.Fma.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported) ? GemmIsa.Vector256
        : Vector128.IsHardwareAccelerated && (System.Runtime.Intrinsics.X86.Fma.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported) ? GemmIsa.Vector128
        : GemmIsa.Scalar;

    /// <summary>Whether <paramref name="isa"/> can run here (tests run every supported kernel family).</summary>
    internal static bool IsSupported(GemmIsa isa) => isa <= BestIsa || isa == GemmIsa.Scalar;

    /// <summary>Rows of x per task.</summary>
    private const int RowBlock = 256;

    /// <summary>Most W panels per task: 8 × 32 outputs × 256 k × 4 bytes = 256 KB, sized for L2.</summary>
    private const int MaxGroupPanels = 8;

    /// <summary>Below this many multiply-adds (~50 µs of one core) a call runs on the calling thread: waking a second thread costs more.</summary>
    private const long SerialWork = 1 << 20;

    /// <summary><see cref="Linear(ReadOnlySpan{float}, int, LinearWeight, Span{float}, bool, int)"/> with a chosen kernel family.</summary>
    internal static void Run(ReadOnlySpan<float> x, int m, LinearWeight w, Span<float> y, bool accumulate, int maxThreads, GemmIsa isa,
        Activation act = Activation.None)
    {
        if (!CpuProfile.Enabled)
        {
            RunUntimed(x, m, w, y, accumulate, maxThreads, isa, act);
            return;
        }
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        try { RunUntimed(x, m, w, y, accumulate, maxThreads, isa, act); }
        finally { CpuProfile.AddGemm(t0); }
    }

    private static void RunUntimed(ReadOnlySpan<float> x, int m, LinearWeight w, Span<float> y, bool accumulate, int maxThreads, GemmIsa isa,
        Activation act)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxThreads, 1);
        if (w.Int8 is { } quantized)
        {
            Int8Gemm.Run(x, m, quantized, y, accumulate, maxThreads, Int8Gemm.BestIsa);
            // The int8 kernels have no epilogue: one row-parallel pass over y.
            if (act != Activation.None)
                unsafe
                {
                    fixed (float* py = y) CpuParallel.ForRows(m, w.Outputs, new ActivateRows(py, w.Outputs, act), maxThreads);
                }
            return;
        }
        if (!IsSupported(isa)) throw new PlatformNotSupportedException($"GEMM kernels for {isa} do not run on this machine");
        int n = w.Outputs, k = w.Inputs;
        if (x.Length < (long)m * k) throw new ArgumentException($"x has {x.Length} elements, needs {m}x{k}", nameof(x));
        if (y.Length < (long)m * n) throw new ArgumentException($"y has {y.Length} elements, needs {m}x{n}", nameof(y));
        if (m == 0) return;

        int panels = w.Panels;
        int rowBlock = Math.Min(m, RowBlock);
        int rowBlocks = (m + rowBlock - 1) / rowBlock;
        int threads = Math.Min(maxThreads, Environment.ProcessorCount);
        bool serial = threads == 1 || (long)m * n * k < SerialWork;
        // Enough tasks for dynamic balance (4 per thread) without cutting a task below one panel. With a single row tile
        // (M <= 8: memory-bound) W is not reused, so no L2 cap: a task streams its whole run of panels per K block.
        int groupPanels = m <= GemmKernels.MR
            ? (serial ? panels : Math.Max(1, (panels + threads * 4 - 1) / (threads * 4)))
            : serial ? MaxGroupPanels : Math.Clamp(panels * rowBlocks / (threads * 4), 1, MaxGroupPanels);
        int groups = (panels + groupPanels - 1) / groupPanels;
        int tasks = groups * rowBlocks;

        unsafe
        {
            fixed (float* px = x, py = y, pw = w.SingleStorage)
            fixed (ushort* ph = w.BFloat16Storage)
            {
                var job = new Job(px, pw == null ? null : pw + w.Offset, ph == null ? null : ph + w.Offset, py, m, n, k, accumulate, isa,
                    rowBlock, groupPanels, groups, act);
                if (serial || tasks == 1)
                {
                    for (int t = 0; t < tasks; t++) job.Run(t);
                    return;
                }
                CpuParallel.For(tasks, job, threads);
            }
        }
    }

    /// <summary>Per thread: a task's W panels of one K block widened from bf16 (MaxGroupPanels × KBlock × 32 floats).</summary>
    [ThreadStatic] private static float[]? _widened;

    /// <summary>
    /// One call's operands (W packed as float32 in <c>w</c> or as bf16 in <c>wh</c>, the other null);
    /// <see cref="Run(int)"/> computes task t = (row block, panel group).
    /// </summary>
    private readonly unsafe struct Job(float* x, float* w, ushort* wh, float* y, int m, int n, int k, bool accumulate, GemmIsa isa,
        int rowBlock, int groupPanels, int groups, Activation act) : IItemJob
    {
        public void Run(int task)
        {
            const int NR = GemmKernels.NR, MR = GemmKernels.MR, KcMax = GemmKernels.KcMax;
            int panels = (n + NR - 1) / NR;
            int i0 = task / groups * rowBlock, i1 = Math.Min(m, i0 + rowBlock);
            int p0 = task % groups * groupPanels, p1 = Math.Min(panels, p0 + groupPanels);
            float* block = stackalloc float[MR * KcMax];
            float* edge = stackalloc float[MR * NR];
            float* widened = null;
            if (wh != null)
            {
                _widened ??= GC.AllocateArray<float>(MaxGroupPanels * KcMax * NR, pinned: true);
                widened = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_widened));
            }

            for (int pc = 0; pc < k; pc += KcMax)
            {
                int kc = Math.Min(KcMax, k - pc);
                long blockStart = (long)pc * panels * NR;
                float* wBlock;
                if (wh == null)
                {
                    wBlock = w + blockStart;
                }
                else if (isa == GemmIsa.Vector512)
                {
                    wBlock = null; // the 512-bit kernels widen bf16 in registers
                }
                else
                {
                    // Widen this task's panels of the K block once; every row tile then reads them from L2.
                    GemmKernels.WidenBFloat16(isa, wh + blockStart + (long)p0 * kc * NR, widened, (p1 - p0) * kc * NR);
                    wBlock = widened - (long)p0 * kc * NR;
                }
                bool load = accumulate || pc > 0;
                bool last = pc + kc >= k;
                for (int i = i0; i < i1; i += MR)
                {
                    int rows = Math.Min(MR, i1 - i);
                    float* a;
                    if (m == 1)
                    {
                        a = x + pc; // a single row is already contiguous
                    }
                    else
                    {
                        for (int r = 0; r < rows; r++)
                            Buffer.MemoryCopy(x + (long)(i + r) * k + pc, block + r * KcMax, KcMax * sizeof(float), kc * sizeof(float));
                        a = block;
                    }
                    float* yRow = y + (long)i * n;
                    for (int p = p0; p < p1; p++)
                    {
                        float* b = wBlock == null ? null : wBlock + (long)p * kc * NR;
                        ushort* bh = wBlock == null ? wh + blockStart + (long)p * kc * NR : null;
                        int j = p * NR, cols = Math.Min(NR, n - j);
                        if (cols == NR)
                        {
                            if (bh != null) GemmKernels.TileBFloat16(rows, a, bh, kc, yRow + j, n, load);
                            else GemmKernels.Tile(isa, rows, a, b, kc, yRow + j, n, load);
                            if (last && act != Activation.None) ActivateTile(yRow + j, n, rows, NR, act);
                            continue;
                        }
                        // Last, partial panel: compute a full-width tile in a scratch block, copy the valid columns.
                        for (int r = 0; r < rows && load; r++)
                            Buffer.MemoryCopy(yRow + (long)r * n + j, edge + r * NR, NR * sizeof(float), cols * sizeof(float));
                        if (bh != null) GemmKernels.TileBFloat16(rows, a, bh, kc, edge, NR, load);
                        else GemmKernels.Tile(isa, rows, a, b, kc, edge, NR, load);
                        // On the full-width scratch tile, so every output takes the vector code (no scalar tail).
                        if (last && act != Activation.None) ActivateTile(edge, NR, rows, NR, act);
                        for (int r = 0; r < rows; r++)
                            Buffer.MemoryCopy(edge + r * NR, yRow + (long)r * n + j, cols * sizeof(float), cols * sizeof(float));
                    }
                }
            }
        }
    }

    /// <summary>act over a finished tile of y: <paramref name="rows"/> rows of <paramref name="cols"/> floats, <paramref name="ldc"/> apart.</summary>
    private static unsafe void ActivateTile(float* c, int ldc, int rows, int cols, Activation act)
    {
        for (int r = 0; r < rows; r++) Ops.Activate(new Span<float>(c + (long)r * ldc, cols), act);
    }

    /// <summary>act over rows [start, end) of y, rows <c>width</c> floats wide.</summary>
    private readonly unsafe struct ActivateRows(float* y, int width, Activation act) : IRowJob
    {
        public void Rows(int start, int end) => Ops.Activate(new Span<float>(y + (long)start * width, (end - start) * width), act);
    }
}
