using RwkvNative.Cpu;

namespace RwkvNative.Tests.Cpu;

/// <summary>
/// The int8 GEMM: every kernel family this machine runs (forced one by one) against the exact integer reference of the
/// quantised operands, and the quantised product against float32.
/// </summary>
public unsafe class Int8GemmTests
{
    /// <summary>
    /// Every kernel family, whether this CPU runs it or not: a test of a family this CPU lacks skips, saying so (see
    /// <see cref="RequireSupported"/>), instead of vanishing from the run.
    /// </summary>
    public static TheoryData<string> AllIsas()
    {
        var data = new TheoryData<string>();
        foreach (var isa in Enum.GetValues<Int8Isa>()) data.Add(isa.ToString());
        return data;
    }

    /// <summary>The family <paramref name="isaName"/>, or a skip naming what this CPU lacks and that the family's numerics stay unverified here.</summary>
    private static Int8Isa RequireSupported(string isaName)
    {
        var isa = Enum.Parse<Int8Isa>(isaName);
        if (!Int8Kernels.IsSupported(isa))
            Assert.Skip($"{isa} int8 kernels do not run on this CPU ({Lacks(isa)}): their numerics are unverified here, run this test on a CPU that has it");
        return isa;
    }

    private static string Lacks(Int8Isa isa) => isa switch
    {
        Int8Isa.AvxVnni => "no AVX-VNNI: Alder Lake and later Intel, Zen 5 have it",
        Int8Isa.ArmDot => "no Arm dot product: ARMv8.2-A+ with dotprod has it",
        Int8Isa.Avx512BW => "no AVX-512BW, or DOTNET_EnableAVX512F=0",
        _ => "the runtime's intrinsics are off",
    };

    // M, N, K: ones, K not a multiple of 4, sizes just off the 8-row tile and the 32-wide panel, a 128-row block
    // boundary, LoRA-like narrow shapes and the model's 768 / 3072.
    private static readonly (int M, int N, int K)[] OddShapes =
    [
        (1, 1, 1), (1, 33, 257), (2, 31, 3), (3, 1, 700), (7, 65, 301), (8, 32, 256), (9, 63, 255),
        (17, 100, 513), (33, 7, 1000), (129, 37, 70), (300, 130, 260), (16, 64, 768), (5, 96, 3072),
    ];

    [Theory]
    [MemberData(nameof(AllIsas))]
    public void Kernels_compute_the_exact_integer_product_of_the_quantised_operands(string isaName)
    {
        var isa = RequireSupported(isaName);
        foreach (var (m, n, k) in OddShapes)
            foreach (bool accumulate in new[] { false, true })
            {
                var rng = new Random(m * 7919 + n * 31 + k);
                var x = RandomArray(rng, m * k);
                for (int r = 0; r < m; r += 3)
                    for (int i = 0; i < k; i++) x[r * k + i] = MathF.Abs(x[r * k + i]); // every third row takes the unsigned form
                var wRows = RandomArray(rng, n * k);
                var w = Int8Weight.FromRows(wRows, n, k, Int8Kernels.MaxLevels(isa));
                var y0 = RandomArray(rng, m * n);
                var y = (float[])y0.Clone();
                Int8Gemm.Run(x, m, w, y, accumulate, maxThreads: 2, isa);
                var expected = QuantisedReference(x, m, w, accumulate ? y0 : null);
                for (int i = 0; i < y.Length; i++)
                    Assert.True(Math.Abs(y[i] - expected[i]) <= 1e-5 * (1 + Math.Abs(expected[i])),
                        $"{isa} {m}x{n}x{k} accumulate={accumulate}: y[{i}] = {y[i]}, exact {expected[i]}");
            }
    }

    [Theory]
    [MemberData(nameof(AllIsas))]
    public void Every_kernel_gives_the_bits_of_the_scalar_kernel(string isaName)
    {
        var isa = RequireSupported(isaName);
        foreach (var (m, n, k) in OddShapes)
        {
            var rng = new Random(m + 3 * n + 7 * k);
            var x = RandomArray(rng, m * k);
            for (int i = 0; i < k; i++) x[i] = MathF.Abs(x[i]);
            var w = Int8Weight.FromRows(RandomArray(rng, n * k), n, k, Int8Weight.PairSafeLevels);
            var scalar = new float[m * n];
            var forced = new float[m * n];
            Int8Gemm.Run(x, m, w, scalar, false, maxThreads: 1, Int8Isa.Scalar);
            Int8Gemm.Run(x, m, w, forced, false, maxThreads: 2, isa);
            Assert.Equal(scalar, forced);
        }
    }

    [Theory]
    [MemberData(nameof(AllIsas))]
    public void Forcing_a_kernel_family_the_cpu_lacks_throws(string isaName)
    {
        var isa = Enum.Parse<Int8Isa>(isaName);
        if (Int8Kernels.IsSupported(isa)) Assert.Skip($"{isa} runs on this CPU: there is no refusal to observe");
        var w = Int8Weight.FromRows(new float[64], 2, 32, Int8Weight.PairSafeLevels);
        var e = Assert.Throws<PlatformNotSupportedException>(() => Int8Gemm.Run(new float[32], 1, w, new float[2], false, 1, isa));
        Assert.Contains(isaName, e.Message);
    }

    [Fact]
    public void Pair_summing_kernels_refuse_full_range_weights()
    {
        RequireSupported(nameof(Int8Isa.Avx512BW)); // the refusal is the AVX-512BW kernels'
        var w = Int8Weight.FromRows(RandomArray(new Random(1), 64), 2, 32, Int8Weight.FullLevels);
        var e = Assert.Throws<InvalidOperationException>(() => Int8Gemm.Run(new float[32], 1, w, new float[2], false, 1, Int8Isa.Avx512BW));
        Assert.Contains("saturate", e.Message);
    }

    [Theory]
    [MemberData(nameof(AllIsas))]
    public void Saturation_worst_case_stays_exact(string isaName)
    {
        var isa = RequireSupported(isaName);
        // Activations at ±max and weights at ±levels everywhere: the largest pair sums vpmaddubsw can see.
        int m = 3, n = 40, k = 3072;
        var x = new float[m * k];
        var wRows = new float[n * k];
        for (int i = 0; i < x.Length; i++) x[i] = i % 3 == 0 && i >= k ? -1f : 1f; // row 0 all +1: unsigned, u = 255
        for (int i = 0; i < wRows.Length; i++) wRows[i] = (i / 7) % 2 == 0 ? 1f : -1f;
        var w = Int8Weight.FromRows(wRows, n, k, Int8Kernels.MaxLevels(isa));
        var y = new float[m * n];
        Int8Gemm.Run(x, m, w, y, false, 2, isa);
        var expected = QuantisedReference(x, m, w, null);
        for (int i = 0; i < y.Length; i++)
            Assert.True(Math.Abs(y[i] - expected[i]) <= 1e-5 * (1 + Math.Abs(expected[i])), $"{isa}: y[{i}] = {y[i]}, exact {expected[i]}");
    }

    [Fact]
    public void Int8_product_stays_close_to_the_float32_product()
    {
        var rng = new Random(17);
        foreach (var (m, n, k) in new[] { (64, 256, 768), (16, 768, 3072) })
        {
            var x = RandomArray(rng, m * k);
            var wRows = RandomArray(rng, n * k);
            var y = new float[m * n];
            Gemm.Linear(x, m, LinearWeight.FromRows(wRows, n, k), y);
            foreach (var levels in new[] { Int8Weight.FullLevels, Int8Weight.PairSafeLevels })
            {
                var yq = new float[m * n];
                Int8Gemm.Run(x, m, Int8Weight.FromRows(wRows, n, k, levels), yq, false, 2, Int8Isa.Scalar);
                double err = 0, norm = 0;
                for (int i = 0; i < y.Length; i++) { err += (yq[i] - y[i]) * (double)(yq[i] - y[i]); norm += y[i] * (double)y[i]; }
                // Uniform operands: 8-bit activations and 7- or 8-bit weights leave about 1-2% relative error.
                Assert.True(Math.Sqrt(err / norm) < (levels == Int8Weight.FullLevels ? 0.015 : 0.025), $"{m}x{n}x{k} levels {levels}: relative error {Math.Sqrt(err / norm)}");
            }
        }
    }

    [Fact]
    public void Weights_quantise_per_output_channel_within_half_a_step()
    {
        var rng = new Random(2);
        int n = 70, k = 130;
        var rows = RandomArray(rng, n * k);
        for (int i = 0; i < k; i++) rows[5 * k + i] *= 1000f; // one loud channel must not coarsen the others
        for (int i = 0; i < k; i++) rows[6 * k + i] = 0f;     // an all-zero channel quantises to zeros
        var w = Int8Weight.FromRows(rows, n, k, Int8Weight.FullLevels);
        Assert.Equal((k + 3) / 4 * 4, w.PaddedInputs);
        for (int j = 0; j < n; j++)
        {
            int max = 0;
            for (int i = 0; i < k; i++)
            {
                max = Math.Max(max, Math.Abs(w[j, i]));
                Assert.True(Math.Abs(w[j, i] * w.Scales[j] - rows[j * k + i]) <= w.Scales[j] * 0.5f * 1.0001f, $"W[{j},{i}]");
            }
            Assert.Equal(j == 6 ? 0 : Int8Weight.FullLevels, max);
        }
        var linear = new float[k];
        Assert.Throws<ArgumentException>(() => Int8Weight.FromRows([float.NaN, 1f], 1, 2, 127));
        Assert.Throws<ArgumentException>(() => Int8Weight.FromRows(linear, 2, 3, 127));
        Assert.Throws<ArgumentOutOfRangeException>(() => Int8Weight.FromRows(new float[4], 2, 2, 128));
    }

    [Theory]
    [MemberData(nameof(AllIsas))]
    public void A_zero_row_gives_zeros_and_a_row_with_nan_gives_nan(string isaName)
    {
        var isa = RequireSupported(isaName);
        int n = 40, k = 70;
        var w = Int8Weight.FromRows(RandomArray(new Random(8), n * k), n, k, Int8Weight.PairSafeLevels);
        var x = new float[3 * k];
        for (int i = 0; i < k; i++) x[2 * k + i] = i * 0.01f;
        x[k + 33] = float.NaN;
        var y = new float[3 * n];
        Int8Gemm.Run(x, 3, w, y, false, 1, isa);
        for (int j = 0; j < n; j++)
        {
            Assert.Equal(0f, y[j]);
            Assert.True(float.IsNaN(y[n + j]), $"{isa}: y[1,{j}] = {y[n + j]}");
            Assert.False(float.IsNaN(y[2 * n + j]));
        }
    }

    [Fact]
    public void A_row_gives_the_same_bits_alone_and_anywhere_in_a_batch_with_any_thread_count()
    {
        var rng = new Random(21);
        int n = 75, k = 600;
        var w = Int8Weight.FromRows(RandomArray(rng, n * k), n, k, Int8Gemm.WeightLevels);
        foreach (int m in new[] { 2, 9, 31, 300 })
        {
            var x = RandomArray(rng, m * k);
            var batch = new float[m * n];
            Int8Gemm.Run(x, m, w, batch, false, maxThreads: 2, Int8Gemm.BestIsa);
            foreach (int row in new[] { 0, m / 2, m - 1 })
            {
                var alone = new float[n];
                Int8Gemm.Run(x.AsSpan(row * k, k), 1, w, alone, false, maxThreads: 1, Int8Gemm.BestIsa);
                Assert.Equal(alone, batch.AsSpan(row * n, n).ToArray());
            }
        }
    }

    [Fact]
    public void Quantised_linear_weights_route_gemm_linear_to_the_int8_kernels()
    {
        var rng = new Random(30);
        int m = 12, n = 50, k = 90;
        var x = RandomArray(rng, m * k);
        var rows = RandomArray(rng, n * k);
        var q = Int8Weight.FromRows(rows, n, k, Int8Gemm.WeightLevels);
        var direct = new float[m * n];
        Int8Gemm.Run(x, m, q, direct, false, 2, Int8Gemm.BestIsa);
        var viaLinear = new float[m * n];
        Gemm.Linear(x, m, LinearWeight.FromInt8(q), viaLinear);
        Assert.Equal(direct, viaLinear);
        Assert.Equal(q[3, 4] * q.Scales[3], LinearWeight.FromInt8(q)[3, 4]);
    }

    [Fact]
    public void Writes_nothing_past_m_rows_and_rejects_short_buffers()
    {
        var rng = new Random(4);
        int m = 11, n = 45, k = 77;
        var w = Int8Weight.FromRows(RandomArray(rng, n * k), n, k, Int8Gemm.WeightLevels);
        var y = new float[m * n + 100];
        Array.Fill(y, float.NaN);
        Int8Gemm.Run(RandomArray(rng, m * k + 50), m, w, y, false, 2, Int8Gemm.BestIsa);
        for (int i = 0; i < m * n; i++) Assert.False(float.IsNaN(y[i]), $"y[{i}] not written");
        for (int i = m * n; i < y.Length; i++) Assert.True(float.IsNaN(y[i]), $"y[{i}] written past the end");
        Assert.Throws<ArgumentException>(() => Int8Gemm.Run(new float[m * k - 1], m, w, new float[m * n], false, 1, Int8Isa.Scalar));
        Assert.Throws<ArgumentException>(() => Int8Gemm.Run(new float[m * k], m, w, new float[m * n - 1], false, 1, Int8Isa.Scalar));
    }

    /// <summary>
    /// The quantised product in double from the weight's own Q and scales and this test's own quantisation of x
    /// (round-to-even of x · 127 / max|row|): y = Σ q·Q · (s_row · s_col) (+ y0).
    /// </summary>
    private static double[] QuantisedReference(float[] x, int m, Int8Weight w, float[]? y0)
    {
        int n = w.Outputs, k = w.Inputs;
        var y = new double[m * n];
        var q = new int[k];
        for (int r = 0; r < m; r++)
        {
            float max = 0f, min = 0f;
            for (int i = 0; i < k; i++) { max = MathF.Max(max, MathF.Abs(x[r * k + i])); min = MathF.Min(min, x[r * k + i]); }
            float levels = min >= 0 ? 255f : 127f; // rows without negative values take the unsigned 255-level form
            float inv = max > 0 ? levels / max : 0f, s = max / levels;
            for (int i = 0; i < k; i++) q[i] = (int)MathF.Round(x[r * k + i] * inv);
            for (int j = 0; j < n; j++)
            {
                long dot = 0;
                for (int i = 0; i < k; i++) dot += q[i] * w[j, i];
                y[r * n + j] = dot * ((double)s * w.Scales[j]) + (y0 == null ? 0 : y0[r * n + j]);
            }
        }
        return y;
    }

    private static float[] RandomArray(Random rng, int count)
    {
        var a = new float[count];
        for (int i = 0; i < count; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
        return a;
    }
}
