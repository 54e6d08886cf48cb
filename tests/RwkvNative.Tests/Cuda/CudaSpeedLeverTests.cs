using RwkvNative.Checkpoints;
using RwkvNative.Cuda.Capture;
using RwkvNative.Cuda.Kernels;
using RwkvNative.Cuda.Memory;
using RwkvNative.Cuda.Model;
using RwkvNative.Cuda;
using RwkvNative.Model;
using System.Reflection;

namespace RwkvNative.Tests.Cuda;

/// <summary>
/// Each speed lever of the CUDA backend (issue 7) gives the result of the plain path it replaces: fused LayerNorm +
/// token shift, the split-row wkv7 kernel, and CUDA-graph replay of single-sequence calls. Skipped without a CUDA
/// device; scripts/gpu/emulate.sh runs them on the CPU emulator of native/emu.
/// </summary>
public sealed class CudaSpeedLeverTests
{
    private static void RequireDevice() => CudaTestDevice.RequireOrSkip();

    private static readonly CudaBackendOptions Plain = new()
    {
        Weights = CudaWeightPrecision.Float32, FusedKernels = false, Wkv7 = CudaWkv7Kernel.RowPerThread, CudaGraphs = false,
    };

    private static (int[] Tokens, int[] Offsets) Batch(int seed, int[] lengths)
    {
        var rng = new Random(seed);
        var offsets = new int[lengths.Length + 1];
        for (int b = 0; b < lengths.Length; b++) offsets[b + 1] = offsets[b] + lengths[b];
        var tokens = new int[offsets[^1]];
        for (int i = 0; i < tokens.Length; i++) tokens[i] = rng.Next(0, 65530);
        for (int b = 0; b < lengths.Length; b++)
            if (lengths[b] > 0) tokens[offsets[b + 1] - 1] = ModelConfig.EosToken;
        return (tokens, offsets);
    }

    /// <summary>A pass's states, EOS sums and counts, and the kernel launches it issued (0 on the CPU).</summary>
    internal sealed record Result(float[] Shift, float[] Wkv, float[] Sums, int[] Counts, long Launches);

    internal static Result Run(RwkvNative.Backends.IEmbeddingBackend backend, int[] tokens, int[] offsets, ModelState start)
    {
        var state = start.Clone();
        int b = offsets.Length - 1;
        var sums = new float[b * backend.Config.Channels];
        var counts = new int[b];
        long before = (backend as CudaEmbeddingBackend)?.Counters.KernelLaunches ?? 0;
        backend.Forward(PackedBatch.FromPacked(tokens, offsets), state, sums, counts);
        long launches = ((backend as CudaEmbeddingBackend)?.Counters.KernelLaunches ?? 0) - before;
        return new Result(state.Shift, state.Wkv, sums, counts, launches);
    }

    internal static void AssertSame(Result expected, Result actual, double tol)
    {
        Assert.Equal(expected.Counts, actual.Counts);
        Approx.AssertClose(expected.Shift, actual.Shift, tol, "shift state", scaled: true);
        Approx.AssertClose(expected.Wkv, actual.Wkv, tol, "wkv state", scaled: true);
        Approx.AssertClose(expected.Sums, actual.Sums, tol, "EOS sums", scaled: true);
    }

    internal static readonly int[] Ragged = [5, 1, 17, 0, 9];

    [Fact]
    public void Fused_layernorm_and_token_shift_match_the_separate_kernels()
    {
        RequireDevice();
        using var ckpt = Checkpoint.Open(Fixtures.PathOf("tiny-bf16.emb.pth"));
        var config = ConfigReader.ReadEmbedding(ckpt);
        using var plain = new CudaEmbeddingBackend(ckpt, config, 0, Plain);
        using var fused = new CudaEmbeddingBackend(ckpt, config, 0, Plain with { FusedKernels = true });
        var (tokens, offsets) = Batch(41, Ragged);
        var start = CudaTestDevice.RandomState(config, Ragged.Length, 42);
        AssertSame(Run(plain, tokens, offsets, start), Run(fused, tokens, offsets, start), CudaTolerance.FusedVersusSeparate);
    }

    [Fact]
    public void Split_row_wkv7_matches_the_row_per_thread_kernel()
    {
        RequireDevice();
        using var ckpt = Checkpoint.Open(Fixtures.PathOf("tiny-bf16.emb.pth"));
        var config = ConfigReader.ReadEmbedding(ckpt);
        using var rows = new CudaEmbeddingBackend(ckpt, config, 0, Plain);
        using var split = new CudaEmbeddingBackend(ckpt, config, 0, Plain with { Wkv7 = CudaWkv7Kernel.SplitRow });
        var (tokens, offsets) = Batch(43, Ragged);
        var start = CudaTestDevice.RandomState(config, Ragged.Length, 44);
        AssertSame(Run(rows, tokens, offsets, start), Run(split, tokens, offsets, start), CudaTolerance.SplitRowWkv7);
    }

    private static int GraphCount(CudaEmbeddingBackend backend)
    {
        var field = typeof(CudaEmbeddingBackend).GetField("graphs", BindingFlags.NonPublic | BindingFlags.Instance)!;
        return ((ForwardGraphCache?)field.GetValue(backend))?.Count ?? -1;
    }

    [Fact]
    public void Graph_replay_of_single_queries_gives_the_eager_result_and_is_recaptured_after_the_workspace_grows()
    {
        RequireDevice();
        using var ckpt = Checkpoint.Open(Fixtures.PathOf("mini-fp16.emb.pth"));
        var config = ConfigReader.ReadEmbedding(ckpt);
        using var eager = new CudaEmbeddingBackend(ckpt, config, 0, Plain);
        using var graphs = new CudaEmbeddingBackend(ckpt, config, 0, Plain with { CudaGraphs = true, GraphMaxTokens = 64 });
        var (query, one) = Batch(45, [12]);
        var start = CudaTestDevice.RandomState(config, 1, 46);
        var expected = Run(eager, query, one, start);
        double tol = CudaTolerance.GraphVersusEager;

        AssertSame(expected, Run(graphs, query, one, start), tol); // eager (grows the workspace)
        Assert.Equal(0, GraphCount(graphs));
        AssertSame(expected, Run(graphs, query, one, start), tol); // captured, then replayed
        Assert.Equal(1, GraphCount(graphs));
        AssertSame(expected, Run(graphs, query, one, start), tol); // replayed
        var other = CudaTestDevice.RandomState(config, 1, 47);
        AssertSame(Run(eager, query, one, other), Run(graphs, query, one, other), tol); // replay reads the new inputs

        // A larger call grows the workspace: the graph is stale and is rebuilt, giving the same answer.
        var (big, offsets) = Batch(48, [40, 30]);
        AssertSame(Run(eager, big, offsets, CudaTestDevice.RandomState(config, 2, 49)), Run(graphs, big, offsets, CudaTestDevice.RandomState(config, 2, 49)), tol);
        AssertSame(expected, Run(graphs, query, one, start), tol);
        AssertSame(expected, Run(graphs, query, one, start), tol);
        Assert.Equal(1, GraphCount(graphs));
    }
}
