using RwkvNative.Checkpoints;
using RwkvNative.Cpu;
using RwkvNative.Cuda.Kernels;
using RwkvNative.Cuda.Memory;
using RwkvNative.Cuda;
using RwkvNative.Model;
using static RwkvNative.Tests.Cuda.CudaSpeedLeverTests; // Run, Result, AssertSame, Ragged: one pass harness for both lever suites

namespace RwkvNative.Tests.Cuda;

/// <summary>
/// The levers of issue 14, each against the path it replaces and against the CPU backend: producers writing the 16-bit
/// GEMM input (<see cref="CudaBackendOptions.HalfGemmInputs"/>), token-parallel EOS pooling for one long sequence
/// (<see cref="CudaBackendOptions.TokenParallelPooling"/>) and pass sizing from free memory (<see cref="PassSizing"/>).
/// The device cases are skipped without a CUDA device; scripts/gpu/emulate.sh runs them on the CPU emulator.
/// </summary>
public sealed class CudaMemoryLeverTests
{
    private static readonly CudaBackendOptions Off = new()
    {
        Weights = CudaWeightPrecision.AsStored, FusedKernels = true, HalfGemmInputs = false, TokenParallelPooling = false,
        CudaGraphs = false, Wkv7 = CudaWkv7Kernel.RowPerThread,
    };

    private static (int[] Tokens, int[] Offsets) Batch(int seed, int[] lengths, int eosEvery)
    {
        var rng = new Random(seed);
        var offsets = new int[lengths.Length + 1];
        for (int b = 0; b < lengths.Length; b++) offsets[b + 1] = offsets[b] + lengths[b];
        var tokens = new int[offsets[^1]];
        for (int i = 0; i < tokens.Length; i++) tokens[i] = i % eosEvery == eosEvery - 1 ? ModelConfig.EosToken : rng.Next(0, 65530);
        for (int b = 0; b < lengths.Length; b++)
            if (lengths[b] > 0) tokens[offsets[b + 1] - 1] = ModelConfig.EosToken;
        return (tokens, offsets);
    }

    [Theory]
    [InlineData("tiny-bf16")]
    [InlineData("mini-fp16")]
    public void Half_gemm_inputs_give_the_converted_inputs_result_with_twelve_fewer_launches_per_layer(string fixture)
    {
        CudaTestDevice.RequireOrSkip();
        using var ckpt = Checkpoint.Open(Fixtures.PathOf(fixture + ".emb.pth"));
        var config = ConfigReader.ReadEmbedding(ckpt);
        using var converted = new CudaEmbeddingBackend(ckpt, config, 0, Off);
        using var half = new CudaEmbeddingBackend(ckpt, config, 0, Off with { HalfGemmInputs = true });
        using var cpu = CpuBackendProvider.Instance.CreateEmbedding(ckpt, config, 0);
        var (tokens, offsets) = Batch(51, Ragged, eosEvery: 7);
        var start = CudaTestDevice.RandomState(config, Ragged.Length, 52);

        var expected = Run(converted, tokens, offsets, start);
        var actual = Run(half, tokens, offsets, start);
        AssertSame(expected, actual, CudaTolerance.HalfGemmInputsVersusConversion);
        // Per layer: the r, k, v, w, a, v-LoRA, g, output and FFN-key conversions, and the tanh, sigmoid and relu² kernels
        // merged with theirs: 12 launches, 11 in layer 0 (no v LoRA).
        Assert.Equal(12 * config.Layers - 1, expected.Launches - actual.Launches);

        // And against the float32 CPU backend, by the reduced-precision rule of bf16/fp16 GEMM inputs.
        var reference = Run(cpu, tokens, offsets, start);
        Assert.Equal(reference.Counts, actual.Counts);
        CudaBackendTests.AssertCosine(reference.Sums, actual.Sums, config.Channels, CudaTolerance.ReducedPrecisionCosine, "EOS sums");
    }

    [Fact]
    public void Half_gemm_inputs_leave_float32_weights_on_the_float32_path()
    {
        CudaTestDevice.RequireOrSkip();
        using var ckpt = Checkpoint.Open(Fixtures.PathOf("tiny-bf16.emb.pth"));
        var config = ConfigReader.ReadEmbedding(ckpt);
        var f32 = Off with { Weights = CudaWeightPrecision.Float32 };
        using var plain = new CudaEmbeddingBackend(ckpt, config, 0, f32);
        using var lever = new CudaEmbeddingBackend(ckpt, config, 0, f32 with { HalfGemmInputs = true });
        var (tokens, offsets) = Batch(53, Ragged, eosEvery: 5);
        var start = CudaTestDevice.RandomState(config, Ragged.Length, 54);
        var expected = Run(plain, tokens, offsets, start);
        var actual = Run(lever, tokens, offsets, start);
        AssertSame(expected, actual, 0);
        Assert.Equal(expected.Launches, actual.Launches);
    }

    [Fact]
    public void Token_parallel_pooling_of_one_long_sequence_matches_eos_pool_and_the_cpu()
    {
        CudaTestDevice.RequireOrSkip();
        using var ckpt = Checkpoint.Open(Fixtures.PathOf("tiny-bf16.emb.pth"));
        var config = ConfigReader.ReadEmbedding(ckpt);
        var f32 = Off with { Weights = CudaWeightPrecision.Float32 };
        using var serial = new CudaEmbeddingBackend(ckpt, config, 0, f32);
        using var parallel = new CudaEmbeddingBackend(ckpt, config, 0, f32 with { TokenParallelPooling = true });
        using var cpu = CpuBackendProvider.Instance.CreateEmbedding(ckpt, config, 0);
        int[] one = [3 * RwkvNative.Cuda.Kernels.TokenPoolingLauncher.ChunkTokens + 37]; // 4 chunks, the last one partial
        var (tokens, offsets) = Batch(55, one, eosEvery: 29);
        var start = CudaTestDevice.RandomState(config, 1, 56);

        var expected = Run(serial, tokens, offsets, start);
        var actual = Run(parallel, tokens, offsets, start);
        Assert.Equal(tokens.Count(t => t == ModelConfig.EosToken), actual.Counts[0]);
        AssertSame(expected, actual, CudaTolerance.ChunkedPoolingSum);
        Assert.Equal(expected.Launches + 1, actual.Launches); // eos_pool_chunks + eos_pool_reduce for eos_pool
        AssertSame(Run(cpu, tokens, offsets, start), actual, CudaTolerance.VersusCpu);

        // A batch of several sequences, and one sequence of at most one chunk, keep eos_pool.
        var (few, fewOffsets) = Batch(57, [RwkvNative.Cuda.Kernels.TokenPoolingLauncher.ChunkTokens], eosEvery: 9);
        var startFew = CudaTestDevice.RandomState(config, 1, 58);
        Assert.Equal(Run(serial, few, fewOffsets, startFew).Launches, Run(parallel, few, fewOffsets, startFew).Launches);
    }

    [Fact]
    public void Passes_are_sized_from_free_memory_unless_fixed()
    {
        CudaTestDevice.RequireOrSkip();
        using var ckpt = Checkpoint.Open(Fixtures.PathOf("tiny-bf16.emb.pth"));
        var config = ConfigReader.ReadEmbedding(ckpt);
        using var sized = new CudaEmbeddingBackend(ckpt, config, 0, Off with { MaxTokensPerPass = null });
        using var fixedPass = new CudaEmbeddingBackend(ckpt, config, 0, Off with { MaxTokensPerPass = 4096 });
        Assert.Equal(4096, fixedPass.TokensPerPass);
        Assert.True(sized.TokensPerPass >= 100 * 64, $"B=100 x T=64 must fit one pass; sized {sized.TokensPerPass}");

        // 6,400 tokens in one pass: fewer launches than the fixed 4,096 (two passes), the same result.
        int[] lengths = Enumerable.Repeat(64, 100).ToArray();
        var (tokens, offsets) = Batch(59, lengths, eosEvery: 64);
        var start = new ModelState(config, lengths.Length);
        var two = Run(fixedPass, tokens, offsets, start);
        var one = Run(sized, tokens, offsets, start);
        AssertSame(two, one, CudaTolerance.OtherGemmShapes);
        Assert.True(one.Launches < two.Launches, $"one pass {one.Launches} launches, two passes {two.Launches}");
    }
}

/// <summary><see cref="PassSizing"/> without a device.</summary>
public sealed class PassSizingTests
{
    // The 0.1B shape: C = 768, FFN 3,072, widest LoRA 128.
    private static readonly long Base = PassSizing.BytesPerToken(768, 3072, 128);

    [Fact]
    public void An_explicit_size_wins_and_must_be_positive()
    {
        Assert.Equal(4096, PassSizing.TokensPerPass(4096, Base, 140L << 30));
        Assert.Equal(3, PassSizing.TokensPerPass(3, Base, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => PassSizing.TokensPerPass(0, Base, 140L << 30));
    }

    [Fact]
    public void The_common_batch_fits_one_pass_on_real_gpu_memory()
    {
        // B = 100 x T = 64 on an 8 GiB card with 6 GiB free, and on an H200 (about 139 GiB).
        Assert.True(PassSizing.TokensPerPass(null, Base, 6L << 30) >= 6400);
        Assert.Equal(PassSizing.MaxTokens, PassSizing.TokensPerPass(null, Base, 139L << 30));
    }

    [Fact]
    public void Sizes_follow_free_memory_in_multiples_of_64_within_the_bounds()
    {
        long free = 2L << 30;
        int n = PassSizing.TokensPerPass(null, Base, free);
        Assert.Equal(0, n % 64);
        Assert.True((long)n * Base * FreeMemoryShare.Divisor <= free);
        Assert.True((long)(n + 64) * Base * FreeMemoryShare.Divisor > free);
        Assert.Equal(PassSizing.MinTokens, PassSizing.TokensPerPass(null, Base, 1L << 20));
        Assert.True(PassSizing.TokensPerPass(null, PassSizing.BytesPerToken(2048, 8192, 256), free) < n); // wider model, fewer tokens
    }
}
