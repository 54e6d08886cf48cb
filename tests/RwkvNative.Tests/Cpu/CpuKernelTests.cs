using System.Numerics;
using System.Runtime.Intrinsics;
using RwkvNative.Cpu;

namespace RwkvNative.Tests.Cpu;

/// <summary>The CPU backend's vector math and wkv7 step against double-precision references.</summary>
public class CpuKernelTests
{
    [Fact]
    public void Vector_exp_is_within_3_ulp_of_double_exp_over_the_float_range()
    {
        var xs = new List<float>();
        for (float x = -87f; x <= 88f; x += 0.0137f) xs.Add(x);
        xs.AddRange([0f, -0f, 1e-8f, -1e-8f, 1f, -1f, 20f, -20f]);
        foreach (var x in xs)
        {
            float got = Ops.Exp(new Vector<float>(x))[0];
            double want = Math.Exp(x);
            Assert.True(Math.Abs(got - want) <= 3 * Ulp((float)want), $"exp({x}) = {got}, expected {want}");
        }
    }

    [Fact]
    public void Vector_exp_saturates_instead_of_overflowing()
    {
        Assert.True(float.IsFinite(Ops.Exp(new Vector<float>(1000f))[0]));
        float tiny = Ops.Exp(new Vector<float>(-1000f))[0];
        Assert.InRange(tiny, 0f, 1e-37f);
        Assert.InRange(Ops.Sigmoid(new Vector<float>(-1000f))[0], 0f, 1e-37f);
        Assert.Equal(1f, Ops.Sigmoid(new Vector<float>(1000f))[0]);
        Assert.Equal(1f, Ops.Tanh(new Vector<float>(100f))[0]);
        Assert.Equal(-1f, Ops.Tanh(new Vector<float>(-100f))[0]);
    }

    [Fact]
    public void Vector_sigmoid_and_tanh_match_double_within_2e_7()
    {
        for (float x = -30f; x <= 30f; x += 0.01f)
        {
            Assert.True(Math.Abs(Ops.Sigmoid(new Vector<float>(x))[0] - 1 / (1 + Math.Exp(-x))) <= 2e-7, $"sigmoid({x})");
            Assert.True(Math.Abs(Ops.Tanh(new Vector<float>(x))[0] - Math.Tanh(x)) <= 2e-7, $"tanh({x})");
        }
    }

    public static TheoryData<bool> Paths()
    {
        var data = new TheoryData<bool> { false };
        if (Vector512.IsHardwareAccelerated) data.Add(true);
        return data;
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Wkv7_matches_a_double_precision_recurrence(bool wide)
    {
        const int N = 64, Tokens = 9, C = 192, Col = 64; // head 1 of 3
        var rng = new Random(17);
        float[] Rand(int n, double lo, double hi) => Enumerable.Range(0, n).Select(_ => (float)(lo + (hi - lo) * rng.NextDouble())).ToArray();
        var r = Rand(Tokens * C, -1, 1); var decay = Rand(Tokens * C, 0.55, 1); var k = Rand(Tokens * C, -1, 1);
        var v = Rand(Tokens * C, -1, 1); var ag = Rand(Tokens * C, 0, 1);
        var kk = new float[Tokens * C];
        for (int t = 0; t < Tokens; t++)
        {
            var raw = Rand(N, -1, 1);
            double norm = Math.Sqrt(raw.Sum(q => (double)q * q));
            for (int j = 0; j < N; j++) kk[t * C + Col + j] = (float)(raw[j] / norm);
        }
        var state = Rand(N * N, -0.5, 0.5);
        var s = state.Select(q => (double)q).ToArray();
        var y = new float[Tokens * C];
        Array.Fill(y, float.NaN);

        Wkv7.Run(Tokens, C, Col, r, decay, k, v, kk, ag, state, y, allowWide: wide);

        for (int t = 0; t < Tokens; t++)
        {
            int o = t * C + Col;
            for (int i = 0; i < N; i++)
            {
                double sa = 0;
                for (int j = 0; j < N; j++) sa += s[i * N + j] * -kk[o + j];
                double yi = 0;
                for (int j = 0; j < N; j++)
                {
                    s[i * N + j] = s[i * N + j] * decay[o + j] + sa * kk[o + j] * ag[o + j] + (double)v[o + i] * k[o + j];
                    yi += s[i * N + j] * r[o + j];
                }
                Assert.True(Math.Abs(y[o + i] - yi) <= 1e-4, $"token {t} y[{i}] = {y[o + i]}, expected {yi}");
            }
            Assert.True(float.IsNaN(y[t * C]), "a column outside the head was written");
        }
        for (int i = 0; i < N * N; i++) Assert.True(Math.Abs(state[i] - s[i]) <= 1e-4, $"state[{i}] = {state[i]}, expected {s[i]}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(37)]
    public void Wkv7_one_pass_kernel_gives_the_bits_of_the_two_pass_kernel(int tokens)
    {
        if (!System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated) return; // the 512-bit path does not run here
        const int N = 64, C = 192, Col = 128; // head 2 of 3: the last columns, so a read past the head would leave the rows
        var rng = new Random(tokens);
        float[] Rand(int n, double lo, double hi) => Enumerable.Range(0, n).Select(_ => (float)(lo + (hi - lo) * rng.NextDouble())).ToArray();
        var r = Rand(tokens * C, -1, 1); var decay = Rand(tokens * C, 0.55, 1); var k = Rand(tokens * C, -1, 1);
        var v = Rand(tokens * C, -1, 1); var ag = Rand(tokens * C, 0, 1); var kk = Rand(tokens * C, -0.125, 0.125);
        var state = Rand(N * N, -0.5, 0.5);
        var state2 = (float[])state.Clone();
        var y = new float[tokens * C]; var y2 = new float[tokens * C];

        Wkv7.Run(tokens, C, Col, r, decay, k, v, kk, ag, state, y);
        Wkv7TwoPass512.Run(tokens, C, Col, r, decay, k, v, kk, ag, state2, y2);

        for (int i = 0; i < y.Length; i++) Assert.True(BitConverter.SingleToInt32Bits(y[i]) == BitConverter.SingleToInt32Bits(y2[i]), $"y[{i}] = {y[i]}, two-pass {y2[i]}");
        for (int i = 0; i < N * N; i++) Assert.True(BitConverter.SingleToInt32Bits(state[i]) == BitConverter.SingleToInt32Bits(state2[i]), $"state[{i}] = {state[i]}, two-pass {state2[i]}");
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public unsafe void Wkv7_fed_in_chunks_on_a_key_major_state_gives_the_bits_of_one_run(bool wide)
    {
        const int N = 64, Tokens = 41, C = 128, Col = 64;
        var rng = new Random(41);
        float[] Rand(int n, double lo, double hi) => Enumerable.Range(0, n).Select(_ => (float)(lo + (hi - lo) * rng.NextDouble())).ToArray();
        var r = Rand(Tokens * C, -1, 1); var decay = Rand(Tokens * C, 0.55, 1); var k = Rand(Tokens * C, -1, 1);
        var v = Rand(Tokens * C, -1, 1); var ag = Rand(Tokens * C, 0, 1); var kk = Rand(Tokens * C, -0.125, 0.125);
        var state = Rand(N * N, -0.5, 0.5);
        var chunked = (float[])state.Clone();
        var y = new float[Tokens * C]; var y2 = new float[Tokens * C];

        Wkv7.Run(Tokens, C, Col, r, decay, k, v, kk, ag, state, y, allowWide: wide);
        var st = new float[N * N];
        fixed (float* ps = chunked, pst = st, pr = r, pd = decay, pk = k, pv = v, pkk = kk, pag = ag, py = y2)
        {
            Wkv7.Transpose(ps, pst);
            int[] cuts = [0, 1, 17, 18, 33, Tokens];
            for (int i = 0; i + 1 < cuts.Length; i++)
            {
                int o = cuts[i] * C + Col;
                Wkv7.RunKeyMajor(cuts[i + 1] - cuts[i], C, new Wkv7.Token(pr + o, pd + o, pk + o, pv + o, pkk + o, pag + o, py + o), pst, wide);
            }
            Wkv7.Transpose(pst, ps);
        }

        for (int i = 0; i < y.Length; i++) Assert.True(BitConverter.SingleToInt32Bits(y[i]) == BitConverter.SingleToInt32Bits(y2[i]), $"y[{i}] = {y2[i]}, one run {y[i]}");
        for (int i = 0; i < N * N; i++) Assert.True(BitConverter.SingleToInt32Bits(state[i]) == BitConverter.SingleToInt32Bits(chunked[i]), $"state[{i}] = {chunked[i]}, one run {state[i]}");
    }

    private static double Ulp(float x) => MathF.BitIncrement(MathF.Abs(x)) - MathF.Abs(x);
}
