using RwkvNative.Backends;
using RwkvNative.Checkpoints;
using RwkvNative.Cpu;
using RwkvNative.Cuda.Memory;
using RwkvNative.Cuda;
using RwkvNative.Model;

namespace RwkvNative.Tests.Cuda;

/// <summary>
/// The CUDA backend against the CPU backend (the oracle) on the same checkpoints and inputs. Tolerances (all in
/// <see cref="CudaTolerance"/>, each with its reason):
/// <see cref="CudaWeightPrecision.Float32"/> is float32 throughout, so 1e-4 (summation order only differs);
/// <see cref="CudaWeightPrecision.AsStored"/> rounds GEMM inputs to bf16/fp16, so embeddings are judged by cosine ≥ 0.999
/// and reranker logits within 2e-2 (the fixtures' reduced-precision rule). Skipped where no CUDA device is usable.
/// </summary>
public sealed class CudaBackendTests
{
    private static void RequireDevice() => CudaTestDevice.RequireOrSkip();

    public static TheoryData<string> FixtureNames() => new("tiny-bf16", "mini-fp16");

    /// <summary>A ragged batch: lengths vary, one sequence empty, one without EOS, one with two EOS.</summary>
    private static (int[] Tokens, int[] Offsets) RaggedBatch(int seed, int[] lengths)
    {
        var rng = new Random(seed);
        var offsets = new int[lengths.Length + 1];
        for (int b = 0; b < lengths.Length; b++) offsets[b + 1] = offsets[b] + lengths[b];
        var tokens = new int[offsets[^1]];
        for (int b = 0; b < lengths.Length; b++)
        {
            for (int t = offsets[b]; t < offsets[b + 1]; t++) tokens[t] = rng.Next(0, 65530);
            if (lengths[b] > 0 && b % 4 != 1) tokens[offsets[b + 1] - 1] = ModelConfig.EosToken;
            if (lengths[b] > 4 && b % 4 == 2) tokens[offsets[b] + lengths[b] / 2] = ModelConfig.EosToken;
        }
        return (tokens, offsets);
    }

    private sealed record Outputs(ModelState State, float[] Sums, int[] Counts);

    private static Outputs Run(IEmbeddingBackend backend, int[] tokens, int[] offsets, ModelState start)
    {
        int b = offsets.Length - 1;
        var state = start.Clone();
        var sums = new float[b * backend.Config.Channels];
        var counts = new int[b];
        backend.Forward(PackedBatch.FromPacked(tokens, offsets), state, sums, counts);
        return new Outputs(state, sums, counts);
    }

    private static float[] Embeddings(IEmbeddingBackend backend, Outputs o, EmbeddingTask task)
    {
        int c = backend.Config.Channels;
        var features = new float[o.Sums.Length];
        for (int b = 0; b < o.Counts.Length; b++)
            for (int i = 0; i < c; i++) features[b * c + i] = o.Counts[b] == 0 ? 0 : o.Sums[b * c + i] / o.Counts[b];
        var e = new float[features.Length];
        backend.Head(task, features, e);
        return e;
    }

    /// <summary>Per sequence of <paramref name="channels"/> values: cosine(expected, actual) &gt;= min (two zero rows, an empty sequence's, match).</summary>
    internal static void AssertCosine(float[] expected, float[] actual, int channels, double min, string what)
    {
        for (int b = 0; b < expected.Length / channels; b++)
        {
            double dot = 0, ne = 0, na = 0;
            for (int i = b * channels; i < (b + 1) * channels; i++)
            {
                dot += expected[i] * (double)actual[i];
                ne += expected[i] * (double)expected[i];
                na += actual[i] * (double)actual[i];
            }
            double cos = ne == 0 && na == 0 ? 1 : dot / Math.Sqrt(ne * na);
            Assert.True(cos >= min, $"{what}: sequence {b} cosine {cos:F6} < {min}");
        }
    }

    internal static void CompareForward(Checkpoint ckpt, CudaWeightPrecision precision, int[] lengths, int seed, bool randomStart)
    {
        var config = ConfigReader.ReadEmbedding(ckpt);
        using var cpu = CpuBackendProvider.Instance.CreateEmbedding(ckpt, config, 0);
        using var gpu = new CudaEmbeddingBackend(ckpt, config, 0, new CudaBackendOptions { Weights = precision });
        var (tokens, offsets) = RaggedBatch(seed, lengths);
        var start = randomStart ? CudaTestDevice.RandomState(config, lengths.Length, seed + 1) : new ModelState(config, lengths.Length);
        var expected = Run(cpu, tokens, offsets, start);
        var actual = Run(gpu, tokens, offsets, start);
        Assert.Equal(expected.Counts, actual.Counts);
        if (precision == CudaWeightPrecision.Float32)
        {
            Approx.AssertClose(expected.State.Shift, actual.State.Shift, CudaTolerance.VersusCpu, "shift state", scaled: true);
            Approx.AssertClose(expected.State.Wkv, actual.State.Wkv, CudaTolerance.VersusCpu, "wkv state", scaled: true);
            Approx.AssertClose(expected.Sums, actual.Sums, CudaTolerance.VersusCpu, "EOS sums", scaled: true);
            foreach (var task in new[] { EmbeddingTask.Retrieval, EmbeddingTask.Classification, EmbeddingTask.Similarity })
                Approx.AssertClose(Embeddings(cpu, expected, task), Embeddings(gpu, actual, task), CudaTolerance.VersusCpu, $"{task} embeddings", scaled: true);
        }
        else
        {
            AssertCosine(Embeddings(cpu, expected, EmbeddingTask.Retrieval), Embeddings(gpu, actual, EmbeddingTask.Retrieval),
                config.Channels, CudaTolerance.ReducedPrecisionCosine, "embeddings");
        }
    }

    private static readonly int[] SmallRagged = [5, 1, 17, 0, 9, 33];

    [Theory]
    [MemberData(nameof(FixtureNames))]
    public void Float32_weights_match_the_cpu_backend_on_a_ragged_batch_from_a_given_state(string fixture)
    {
        RequireDevice();
        using var ckpt = Checkpoint.Open(Fixtures.PathOf(fixture + ".emb.pth"));
        CompareForward(ckpt, CudaWeightPrecision.Float32, SmallRagged, seed: 11, randomStart: true);
    }

    [Theory]
    [MemberData(nameof(FixtureNames))]
    public void Stored_precision_weights_stay_within_reduced_precision_tolerance(string fixture)
    {
        RequireDevice();
        using var ckpt = Checkpoint.Open(Fixtures.PathOf(fixture + ".emb.pth"));
        CompareForward(ckpt, CudaWeightPrecision.AsStored, SmallRagged, seed: 12, randomStart: false);
    }

    [Fact]
    public void Many_small_passes_give_the_one_pass_result()
    {
        RequireDevice();
        using var ckpt = Checkpoint.Open(Fixtures.PathOf("tiny-bf16.emb.pth"));
        var config = ConfigReader.ReadEmbedding(ckpt);
        var options = new CudaBackendOptions { Weights = CudaWeightPrecision.Float32 };
        using var whole = new CudaEmbeddingBackend(ckpt, config, 0, options);
        using var pieces = new CudaEmbeddingBackend(ckpt, config, 0, options with { MaxTokensPerPass = 3 });
        var (tokens, offsets) = RaggedBatch(13, SmallRagged);
        var start = CudaTestDevice.RandomState(config, SmallRagged.Length, 14);
        var a = Run(whole, tokens, offsets, start);
        var b = Run(pieces, tokens, offsets, start);
        Assert.Equal(a.Counts, b.Counts);
        Approx.AssertClose(a.State.Wkv, b.State.Wkv, CudaTolerance.OtherGemmShapes, "wkv state", scaled: true);
        Approx.AssertClose(a.State.Shift, b.State.Shift, CudaTolerance.OtherGemmShapes, "shift state", scaled: true);
        Approx.AssertClose(a.Sums, b.Sums, CudaTolerance.OtherGemmShapes, "EOS sums", scaled: true);
    }

    [Theory]
    [InlineData("tiny-bf16", CudaWeightPrecision.Float32, CudaTolerance.VersusCpu)]
    [InlineData("mini-fp16", CudaWeightPrecision.Float32, CudaTolerance.VersusCpu)]
    [InlineData("tiny-bf16", CudaWeightPrecision.AsStored, CudaTolerance.ReducedPrecisionLogits)]
    [InlineData("mini-fp16", CudaWeightPrecision.AsStored, CudaTolerance.ReducedPrecisionLogits)]
    public void Reranker_logits_match_the_cpu_backend_and_leave_states_untouched(string fixture, CudaWeightPrecision precision, double tol)
    {
        RequireDevice();
        using var emb = Checkpoint.Open(Fixtures.PathOf(fixture + ".emb.pth"));
        using var rer = Checkpoint.Open(Fixtures.PathOf(fixture + ".reranker.pth"));
        var model = ConfigReader.ReadEmbedding(emb);
        var config = ConfigReader.ReadReranker(rer);
        using var cpuModel = CpuBackendProvider.Instance.CreateEmbedding(emb, model, 0);
        using var cpu = CpuBackendProvider.Instance.CreateReranker(rer, config, cpuModel);
        using var gpu = new CudaRerankerBackend(rer, config, 0, new CudaBackendOptions { Weights = precision });
        const int batch = 7;
        var states = CudaTestDevice.RandomState(model, batch, 21).Wkv;
        var copy = (float[])states.Clone();
        var expected = new float[batch];
        var actual = new float[batch];
        cpu.Logits(states, model.Layers, batch, expected);
        gpu.Logits(states, model.Layers, batch, actual);
        Assert.Equal(copy, states);
        for (int i = 0; i < batch; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol, $"item {i}: cpu {expected[i]} cuda {actual[i]} (tolerance {tol})");
    }

    [Fact]
    public void Concurrent_calls_on_one_backend_are_serialised_and_deterministic()
    {
        RequireDevice();
        using var ckpt = Checkpoint.Open(Fixtures.PathOf("mini-fp16.emb.pth"));
        var config = ConfigReader.ReadEmbedding(ckpt);
        using var gpu = new CudaEmbeddingBackend(ckpt, config, 0);
        var (tokens, offsets) = RaggedBatch(31, SmallRagged);
        var start = new ModelState(config, SmallRagged.Length);
        var expected = Run(gpu, tokens, offsets, start);
        var results = new Outputs[16];
        Parallel.For(0, results.Length, i => results[i] = Run(gpu, tokens, offsets, start));
        // Exact: the same shapes on one handle and stream; cuBLAS results are reproducible run to run in that case.
        foreach (var r in results)
        {
            Assert.Equal(expected.Sums, r.Sums);
            Assert.Equal(expected.State.Wkv, r.State.Wkv);
        }
    }
}
