using RwkvNative.Checkpoints;
using RwkvNative.Model;

namespace RwkvNative.Backends;

/// <summary>
/// Runs the embedding model on one device. Implementations own their weights (uploaded or converted once)
/// and must be safe for concurrent calls from many threads (each call brings its own state and outputs).
/// </summary>
public interface IEmbeddingBackend : IDisposable
{
    /// <summary>Human-readable device, e.g. <c>cpu (2 threads, AVX-512)</c> or <c>cuda:0 NVIDIA H100</c>.</summary>
    string DeviceName { get; }

    /// <summary>Model shape.</summary>
    ModelConfig Config { get; }

    /// <summary>
    /// Most tokens one pass should hold on this backend (the engine packs and splits by it unless
    /// <see cref="ModelOptions.MaxBatchTokens"/> overrides it): fixed on the CPU, sized from free memory on a GPU.
    /// </summary>
    int TokensPerPass { get; }

    /// <summary>
    /// Runs every layer over a ragged batch, each sequence exactly as if alone, continuing from and updating
    /// <paramref name="state"/> in place.
    /// </summary>
    /// <param name="batch">The packed, validated ragged batch; a sequence may be empty (its state is unchanged).</param>
    /// <param name="state">[L,2,B,C] + [L,B,H,64,64]; read and written.</param>
    /// <param name="eosSum">[B, C]: the sum over the EOS (65535) positions of LN(x_t; ln_out) is ADDED to it, in token order (the
    /// caller zeroes it before a sequence's first pass, so a sequence fed in passes sums as if fed at once).</param>
    /// <param name="eosCount">[B]: the number of EOS positions per sequence is added to it.</param>
    void Forward(PackedBatch batch, ModelState state, Span<float> eosSum, Span<int> eosCount);

    /// <summary>A zero state for <paramref name="batch"/> sequences, held where this backend computes.</summary>
    BackendState CreateState(int batch);

    /// <summary>A copy of the host state <paramref name="state"/>, held where this backend computes (one host→device copy on a GPU).</summary>
    BackendState Upload(ModelState state);

    /// <summary>
    /// As <see cref="Forward(PackedBatch, ModelState, Span{float}, Span{int})"/>, on a state of this backend updated where
    /// it is; only the pooled sums and counts come back (added to, as there).
    /// </summary>
    void Forward(PackedBatch batch, BackendState state, Span<float> eosSum, Span<int> eosCount);

    /// <summary>
    /// Runs every layer over a ragged batch and only updates <paramref name="state"/> (no ln_out, no pooling, no head):
    /// what the reranker needs.
    /// </summary>
    void ForwardState(PackedBatch batch, BackendState state);

    /// <summary>An empty store of <paramref name="count"/> batch-1 states in this backend's memory.</summary>
    StateStore CreateStore(int count, StatePrecision precision);

    /// <summary>
    /// An empty store of <paramref name="count"/> batch-1 states in host memory, each gather streaming the picked states to
    /// where this backend computes (page-locked memory and asynchronous copies on a GPU; on the CPU the same as
    /// <see cref="CreateStore"/>). For document sets larger than <see cref="StoreCapacity"/>.
    /// </summary>
    StateStore CreateHostStore(int count, StatePrecision precision);

    /// <summary>
    /// A read-only store over mapped states (<paramref name="states"/>, kept alive until the store is disposed): on the
    /// CPU each gather reads the picked states straight from the mapping; on a GPU they stream from it to the device as
    /// from <see cref="CreateHostStore"/>'s page-locked memory (the mapping is page-locked in place where the driver allows).
    /// </summary>
    StateStore CreateMappedStore(MappedStates states);

    /// <summary>How many more batch-1 states of <paramref name="precision"/> fit in this backend's memory now.</summary>
    long StoreCapacity(StatePrecision precision);

    /// <summary>Bytes moved and kernels launched so far (shared with a reranker on the same device session).</summary>
    BackendCounters Counters { get; }

    /// <summary>
    /// Applies a task head: <c>embedding = LN(fc2(relu(fc1(f))) + f; norm)</c>.
    /// </summary>
    /// <param name="task">Which head.</param>
    /// <param name="features">[B, C] pooled features.</param>
    /// <param name="embeddings">[B, C] output.</param>
    void Head(EmbeddingTask task, ReadOnlySpan<float> features, Span<float> embeddings);
}
