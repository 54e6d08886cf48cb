using RwkvNative.Cuda.Memory;
using RwkvNative.Model;

namespace RwkvNative.Cuda.Kernels;

/// <summary>
/// pooling_tokens.cu: EOS pooling of a single sequence parallel over chunks of <see cref="ChunkTokens"/> tokens
/// (<see cref="CudaBackendOptions.TokenParallelPooling"/>), two launches instead of <see cref="PoolingLauncher"/>'s one
/// block walking every token.
/// </summary>
internal sealed unsafe class TokenPoolingLauncher(LaunchContext launch)
{
    public static readonly KernelName Chunks = new("pooling_tokens.cu", "eos_pool_chunks", LaunchContext.MaxRowBlock);
    public static readonly KernelName Reduce = new("pooling_tokens.cu", "eos_pool_reduce", LaunchContext.ElementwiseBlock);

    /// <summary>Tokens per block; a pass of B = 1 and more tokens than this pools token-parallel.</summary>
    public const int ChunkTokens = 128;

    private readonly nint chunks = launch.Modules.Function(Chunks);
    private readonly nint reduce = launch.Modules.Function(Reduce);

    /// <summary>Whether a pass of <paramref name="sequences"/> sequences and <paramref name="tokens"/> tokens pools here.</summary>
    public static bool Applies(int sequences, int tokens) => sequences == 1 && tokens > ChunkTokens;

    /// <summary>Floats of the workspace's EosPartial buffer a pass of <paramref name="tokens"/> needs: [chunks, C] sums, then [chunks] counts.</summary>
    public static long PartialFloats(int tokens, int channels) => ChunkCount(tokens) * ((long)channels + 1);

    private static int ChunkCount(int tokens) => (tokens + ChunkTokens - 1) / ChunkTokens;

    /// <summary>
    /// x: [T, C] (LN(x; ln_out)) of one sequence; eosSum: [1, C] and eosCount: [1], accumulated; partial: at least
    /// <see cref="PartialFloats"/> floats of scratch.
    /// </summary>
    public void Run(DeviceView<float> x, RaggedBatch batch, DeviceView<float> eosSum, DeviceView<int> eosCount,
        DeviceView<float> partial, int channels)
    {
        if (batch.Sequences != 1) throw new ArgumentException($"token-parallel pooling takes one sequence, got {batch.Sequences}", nameof(batch));
        int tokens = batch.Tokens, n = ChunkCount(tokens);
        x.Require((long)tokens * channels, "pooling input");
        eosSum.Require(channels, "pooling sums");
        eosCount.Require(1, "pooling counts");
        partial.Require(PartialFloats(tokens, channels), "pooling partial sums");
        if (tokens == 0) return;

        ulong px = x.Address, pt = batch.TokenIds.Address, pp = partial.Address,
            pc = partial.Slice((long)n * channels, n).Address, ps = eosSum.Address, pn = eosCount.Address;
        int t = tokens, chunk = ChunkTokens, c = channels, eos = ModelConfig.EosToken, count = n;
        void** chunkArgs = stackalloc void*[] { &px, &pt, &t, &chunk, &pp, &pc, &c, &eos };
        launch.Launch(Chunks, chunks, (uint)n, LaunchContext.RowBlock(channels), chunkArgs);
        void** reduceArgs = stackalloc void*[] { &pp, &pc, &count, &ps, &pn, &c };
        launch.Launch(Reduce, reduce, launch.GridFor(channels), LaunchContext.ElementwiseBlock, reduceArgs);
    }
}
