using RwkvNative.Cpu;

namespace RwkvNative.Tests.Cpu;

/// <summary>The CPU GEMM against a double-precision reference, for every kernel family this machine runs.</summary>
public class GemmTests
{
    /// <summary>Kernel families supported here (the portable ones always are; the widest one the machine has).</summary>
    public static TheoryData<string> Isas()
    {
        var data = new TheoryData<string>();
        foreach (var isa in Enum.GetValues<GemmIsa>())
            if (Gemm.IsSupported(isa)) data.Add(isa.ToString());
        return data;
    }

    // M, N, K: ones, primes, sizes just off the 8-row tile, the 32-wide panel and the 256-deep K block,
    // a row block boundary (256 rows) and a LoRA-like narrow output.
    private static readonly (int M, int N, int K)[] OddShapes =
    [
        (1, 1, 1), (1, 33, 257), (2, 31, 3), (3, 1, 700), (7, 65, 300), (8, 32, 256), (9, 63, 255),
        (17, 100, 513), (33, 7, 1000), (1, 96, 1024), (5, 40, 64), (257, 37, 70), (300, 130, 260),
    ];

    [Theory]
    [MemberData(nameof(Isas))]
    public void Float32_weights_match_double_reference_on_odd_shapes(string isaName)
    {
        var isa = Enum.Parse<GemmIsa>(isaName);
        foreach (var (m, n, k) in OddShapes)
        {
            var rng = new Random(m * 7919 + n * 31 + k);
            var x = RandomArray(rng, m * k);
            var wRows = RandomArray(rng, n * k);
            var w = LinearWeight.FromRows(wRows, n, k);
            var y = new float[m * n];
            Gemm.Run(x, m, w, y, accumulate: false, maxThreads: 2, isa);
            AssertWithinRoundingBound(Reference(x, m, wRows, n, k, null), y, x, wRows, m, n, k, $"{isa} {m}x{n}x{k}");
        }
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void Activation_epilogue_gives_the_bits_of_an_activation_pass_after_the_product(string isaName)
    {
        var isa = Enum.Parse<GemmIsa>(isaName);
        foreach (var act in new[] { Activation.ReluSquared, Activation.Tanh, Activation.Sigmoid })
            foreach (var (m, n, k) in OddShapes)
                foreach (bool bf16 in new[] { false, true })
                {
                    var rng = new Random(m * 7 + n * 131 + k + (int)act);
                    var x = RandomArray(rng, m * k);
                    var w = bf16 ? LinearWeight.FromBFloat16Rows(RandomBFloat16(rng, n * k).Item1, n, k) : LinearWeight.FromRows(RandomArray(rng, n * k), n, k);
                    var expected = new float[m * n];
                    Gemm.Run(x, m, w, expected, accumulate: false, maxThreads: 2, isa);
                    for (int r = 0; r < m; r++) PlainActivation(expected.AsSpan(r * n, n), act);
                    var y = new float[m * n + 8];
                    Array.Fill(y, float.NaN);
                    Gemm.Run(x, m, w, y, accumulate: false, maxThreads: 2, isa, act);
                    for (int i = 0; i < m * n; i++)
                        Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(y[i]),
                            $"{isa} {act} bf16={bf16} {m}x{n}x{k}: y[{i}] = {y[i]}, expected {expected[i]}");
                    for (int i = m * n; i < y.Length; i++) Assert.True(float.IsNaN(y[i]), $"{isa} {act} {m}x{n}x{k}: wrote past y");
                }
    }

    /// <summary>
    /// One element at a time: relu² in plain scalar code; tanh and sigmoid through the engine's vector formulas one lane
    /// at a time (the engine's definition of those activations, which plain MathF does not match bit for bit).
    /// </summary>
    private static void PlainActivation(Span<float> row, Activation act)
    {
        for (int i = 0; i < row.Length; i++)
        {
            float v = row[i];
            row[i] = act switch
            {
                Activation.ReluSquared => v > 0 ? v * v : 0f,
                Activation.Tanh => Ops.Tanh(new System.Numerics.Vector<float>(v))[0],
                Activation.Sigmoid => Ops.Sigmoid(new System.Numerics.Vector<float>(v))[0],
                _ => v,
            };
        }
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void BFloat16_weights_match_double_reference_of_the_widened_values(string isaName)
    {
        var isa = Enum.Parse<GemmIsa>(isaName);
        foreach (var (m, n, k) in OddShapes)
        {
            var rng = new Random(m * 104729 + n * 17 + k);
            var x = RandomArray(rng, m * k);
            var (bits, widened) = RandomBFloat16(rng, n * k);
            var w = LinearWeight.FromBFloat16Rows(bits, n, k);
            var y = new float[m * n];
            Gemm.Run(x, m, w, y, accumulate: false, maxThreads: 2, isa);
            AssertWithinRoundingBound(Reference(x, m, widened, n, k, null), y, x, widened, m, n, k, $"{isa} bf16 {m}x{n}x{k}");
        }
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void Accumulate_adds_the_product_to_y(string isaName)
    {
        var isa = Enum.Parse<GemmIsa>(isaName);
        foreach (var (m, n, k) in new[] { (1, 70, 300), (13, 45, 600), (40, 64, 64) })
        {
            var rng = new Random(m + n + k);
            var x = RandomArray(rng, m * k);
            var wRows = RandomArray(rng, n * k);
            var y0 = RandomArray(rng, m * n);
            var y = (float[])y0.Clone();
            Gemm.Run(x, m, LinearWeight.FromRows(wRows, n, k), y, accumulate: true, maxThreads: 2, isa);
            AssertWithinRoundingBound(Reference(x, m, wRows, n, k, y0), y, x, wRows, m, n, k, $"{isa} accumulate {m}x{n}x{k}");
        }
    }

    [Fact]
    public void Lora_layout_is_the_transpose_of_the_stored_matrix()
    {
        var rng = new Random(5);
        int k = 70, n = 45; // stored [in = k, out = n], used as x @ w
        var stored = RandomArray(rng, k * n);
        var w = LinearWeight.FromColumns(stored, k, n);
        Assert.Equal(n, w.Outputs);
        Assert.Equal(k, w.Inputs);
        for (int j = 0; j < n; j++)
            for (int i = 0; i < k; i++)
                Assert.Equal(stored[i * n + j], w[j, i]);

        var (bits, widened) = RandomBFloat16(rng, k * n);
        var wh = LinearWeight.FromBFloat16Columns(bits, k, n);
        for (int j = 0; j < n; j++)
            for (int i = 0; i < k; i++)
                Assert.Equal(widened[i * n + j], wh[j, i]);
    }

    [Fact]
    public void BFloat16_storage_gives_the_same_bits_as_float32_storage_of_the_widened_values()
    {
        var rng = new Random(11);
        int m = 37, n = 90, k = 530;
        var x = RandomArray(rng, m * k);
        var (bits, widened) = RandomBFloat16(rng, n * k);
        var y16 = new float[m * n];
        var y32 = new float[m * n];
        Gemm.Linear(x, m, LinearWeight.FromBFloat16Rows(bits, n, k), y16);
        Gemm.Linear(x, m, LinearWeight.FromRows(widened, n, k), y32);
        Assert.Equal(y32, y16);
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void A_row_gives_the_same_bits_alone_and_anywhere_in_a_batch(string isaName)
    {
        // The CLI contract: an input's embedding must not depend on what else shares its batch.
        var isa = Enum.Parse<GemmIsa>(isaName);
        var rng = new Random(21);
        int n = 75, k = 600;
        var wRows = RandomArray(rng, n * k);
        var (bits, _) = RandomBFloat16(rng, n * k);
        foreach (var w in new[] { LinearWeight.FromRows(wRows, n, k), LinearWeight.FromBFloat16Rows(bits, n, k) })
            foreach (bool accumulate in new[] { false, true })
                foreach (int m in new[] { 2, 7, 8, 9, 31, 300 })
                {
                    var x = RandomArray(rng, m * k);
                    var y0 = RandomArray(rng, m * n);
                    var batch = (float[])y0.Clone();
                    Gemm.Run(x, m, w, batch, accumulate, maxThreads: 2, isa);
                    foreach (int row in new[] { 0, m / 2, m - 1 })
                    {
                        var alone = y0.AsSpan(row * n, n).ToArray();
                        Gemm.Run(x.AsSpan(row * k, k), 1, w, alone, accumulate, maxThreads: 1, isa);
                        Assert.Equal(alone, batch.AsSpan(row * n, n).ToArray());
                    }
                }
    }

    [Fact]
    public void Result_does_not_depend_on_thread_count()
    {
        var rng = new Random(3);
        foreach (var (m, n, k) in new[] { (1, 1000, 1000), (64, 512, 768), (600, 96, 300) })
        {
            var x = RandomArray(rng, m * k);
            var w = LinearWeight.FromRows(RandomArray(rng, n * k), n, k);
            var y1 = new float[m * n];
            var y4 = new float[m * n];
            Gemm.Linear(x, m, w, y1, false, maxThreads: 1);
            Gemm.Linear(x, m, w, y4, false, maxThreads: 4);
            Assert.Equal(y1, y4);
        }
    }

    [Fact]
    public void Concurrent_calls_from_several_threads_match_serial_results()
    {
        const int Calls = 12;
        var rng = new Random(9);
        var shared = LinearWeight.FromRows(RandomArray(rng, 300 * 500), 300, 500);
        var (bits, _) = RandomBFloat16(rng, 200 * 500);
        var sharedHalf = LinearWeight.FromBFloat16Rows(bits, 200, 500);
        var inputs = new float[Calls][];
        var expected = new float[Calls][];
        for (int c = 0; c < Calls; c++)
        {
            int m = 1 + c * 5;
            inputs[c] = RandomArray(rng, m * 500);
            var w = c % 2 == 0 ? shared : sharedHalf;
            expected[c] = new float[m * w.Outputs];
            Gemm.Linear(inputs[c], m, w, expected[c], false, maxThreads: 1);
        }
        var actual = new float[Calls][];
        using var start = new Barrier(Calls);
        var threads = new Thread[Calls];
        for (int c = 0; c < Calls; c++)
        {
            int call = c;
            threads[c] = new Thread(() =>
            {
                var w = call % 2 == 0 ? shared : sharedHalf;
                int m = 1 + call * 5;
                var y = new float[m * w.Outputs];
                start.SignalAndWait();
                for (int rep = 0; rep < 5; rep++) Gemm.Linear(inputs[call], m, w, y, false, maxThreads: 2);
                actual[call] = y;
            });
            threads[c].Start();
        }
        foreach (var t in threads) t.Join();
        for (int c = 0; c < Calls; c++) Assert.Equal(expected[c], actual[c]);
    }

    [Fact]
    public void Writes_nothing_past_m_rows_of_y()
    {
        var rng = new Random(4);
        int m = 11, n = 45, k = 77;
        var x = RandomArray(rng, m * k + 50); // x longer than needed: the tail must be ignored
        var w = LinearWeight.FromRows(RandomArray(rng, n * k), n, k);
        var y = new float[m * n + 100];
        Array.Fill(y, float.NaN);
        Gemm.Linear(x, m, w, y);
        for (int i = 0; i < m * n; i++) Assert.False(float.IsNaN(y[i]), $"y[{i}] not written");
        for (int i = m * n; i < y.Length; i++) Assert.True(float.IsNaN(y[i]), $"y[{i}] written past the end");
    }

    [Fact]
    public void Zero_rows_leaves_y_untouched()
    {
        var w = LinearWeight.FromRows(new float[6], 2, 3);
        var y = new[] { 5f, 6f };
        Gemm.Linear([], 0, w, y);
        Assert.Equal(new[] { 5f, 6f }, y);
    }

    [Fact]
    public void Short_buffers_and_bad_shapes_are_rejected()
    {
        var w = LinearWeight.FromRows(new float[6], 2, 3);
        Assert.Throws<ArgumentException>(() => Gemm.Linear(new float[5], 2, w, new float[4]));
        Assert.Throws<ArgumentException>(() => Gemm.Linear(new float[6], 2, w, new float[3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Linear(new float[6], -1, w, new float[4]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Linear(new float[6], 2, w, new float[4], false, maxThreads: 0));
        Assert.Throws<ArgumentException>(() => LinearWeight.FromRows(new float[5], 2, 3));
        Assert.Throws<ArgumentException>(() => LinearWeight.FromBFloat16Rows(new ushort[7], 2, 3));
    }

    private static float[] RandomArray(Random rng, int count)
    {
        var a = new float[count];
        for (int i = 0; i < count; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
        return a;
    }

    /// <summary>Random bf16 bit patterns (sign, exponent around 1, random mantissa) and their float32 values.</summary>
    private static (ushort[] Bits, float[] Values) RandomBFloat16(Random rng, int count)
    {
        var bits = new ushort[count];
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            bits[i] = (ushort)(BitConverter.SingleToUInt32Bits((float)(rng.NextDouble() * 2 - 1)) >> 16);
            values[i] = BitConverter.UInt32BitsToSingle((uint)bits[i] << 16);
        }
        return (bits, values);
    }

    /// <summary>y = x · Wᵀ (+ y0) in double.</summary>
    private static double[] Reference(float[] x, int m, float[] wRows, int n, int k, float[]? y0)
    {
        var y = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = y0?[i * n + j] ?? 0;
                for (int l = 0; l < k; l++) s += (double)x[i * k + l] * wRows[j * k + l];
                y[i * n + j] = s;
            }
        return y;
    }

    /// <summary>float32 accumulation error bound: a few ulps of the sum of |terms| per output.</summary>
    private static void AssertWithinRoundingBound(double[] expected, float[] actual, float[] x, float[] wRows, int m, int n, int k, string what)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double magnitude = 0;
                for (int l = 0; l < k; l++) magnitude += Math.Abs((double)x[i * k + l] * wRows[j * k + l]);
                double tolerance = 4e-7 * Math.Sqrt(k) * magnitude + 1e-6 * Math.Abs(expected[i * n + j]) + 1e-30;
                double error = Math.Abs(actual[i * n + j] - expected[i * n + j]);
                Assert.True(error <= tolerance, $"{what}: y[{i},{j}] = {actual[i * n + j]}, expected {expected[i * n + j]} (error {error:E2} > {tolerance:E2})");
            }
    }
}
