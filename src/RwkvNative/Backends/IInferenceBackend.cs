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

/// <summary>Runs the state-based reranker on one device; thread-safe like <see cref="IEmbeddingBackend"/>.</summary>
public interface IRerankerBackend : IDisposable
{
    /// <summary>Reranker shape (its blocks; <see cref="ModelConfig.Layers"/> = number of blocks).</summary>
    ModelConfig Config { get; }

    /// <summary>Embedding-model layer read by each reranker block, in block order.</summary>
    IReadOnlyList<int> LayerIndices { get; }

    /// <summary>
    /// Scores a batch of embedding-model states. The states are only read (blocks work on copies).
    /// </summary>
    /// <param name="wkv">[L_model, B, H, 64, 64]: the embedding model's wkv7 states (upstream's state1).</param>
    /// <param name="modelLayers">L_model.</param>
    /// <param name="batch">B.</param>
    /// <param name="logits">[B] output.</param>
    void Logits(ReadOnlySpan<float> wkv, int modelLayers, int batch, Span<float> logits);

    /// <summary>
    /// Scores every sequence of an embedding-model state of the paired backend, reading its wkv part where it is (on a
    /// GPU: device to device). The state is not modified.
    /// </summary>
    void Logits(BackendState state, Span<float> logits);
}

/// <summary>Where to run: <c>cpu</c>, <c>cuda</c> (device 0) or <c>cuda:N</c>.</summary>
/// <param name="Kind">"cpu" or "cuda".</param>
/// <param name="Index">Device ordinal for CUDA.</param>
public sealed record DeviceSpec(string Kind, int Index = 0)
{
    /// <summary>The CPU.</summary>
    public static DeviceSpec Cpu { get; } = new("cpu");

    /// <inheritdoc/>
    public override string ToString() => Kind == "cpu" ? "cpu" : $"{Kind}:{Index}";
}

/// <summary>
/// Creates backends for one kind of device. The CPU provider is built in; the CUDA assembly registers its own
/// with <see cref="BackendRegistry.Register"/>, so CPU-only hosts never load native GPU code.
/// </summary>
public interface IBackendProvider
{
    /// <summary>"cpu" or "cuda".</summary>
    string Kind { get; }

    /// <summary>Whether this device can be used here; when not, <paramref name="reason"/> says why (no driver, ...).</summary>
    bool IsAvailable(int index, out string reason);

    /// <summary>
    /// Creates the embedding backend from an open checkpoint (weights are read once, in the provider's format, and
    /// quantised once when <paramref name="precision"/> asks for it; a provider that cannot run it throws
    /// <see cref="NotSupportedException"/> saying which precision it runs).
    /// </summary>
    IEmbeddingBackend CreateEmbedding(Checkpoint checkpoint, ModelConfig config, int index, Precision precision = Precision.Float32);

    /// <summary>
    /// Creates the reranker backend from an open reranker checkpoint, paired with <paramref name="model"/> (an embedding
    /// backend of this provider): it reads that backend's states where they are and shares its device session
    /// (precision as for <see cref="CreateEmbedding"/>).
    /// </summary>
    IRerankerBackend CreateReranker(Checkpoint checkpoint, RerankerConfig config, IEmbeddingBackend model, Precision precision = Precision.Float32);
}
