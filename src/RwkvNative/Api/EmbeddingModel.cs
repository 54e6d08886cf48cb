using RwkvNative.Backends;
using RwkvNative.Checkpoints;
using RwkvNative.Cpu;
using RwkvNative.Model;
using RwkvNative.Tokenizer;

namespace RwkvNative;

/// <summary>
/// An EmbeddingRWKV embedding model loaded on one device. Thread-safe: any number of threads may call
/// <see cref="Embed(string, EmbeddingTask)"/> and <see cref="Forward"/> on one instance at once.
/// </summary>
public sealed class EmbeddingModel : IDisposable
{
    // The CPU backend is the default provider, registered here on first use rather than by a module initializer: code
    // that runs when the assembly loads runs before a fuzzer's coverage map exists, and SharpFuzz-instrumented
    // builds then crash in <Module>..cctor (ModuleInitializerTests guards this).
    static EmbeddingModel() => BackendRegistry.RegisterIfAbsent(CpuBackendProvider.Instance);

    private readonly Checkpoint _checkpoint;
    private readonly ModelOptions _options;
    private int _disposed;
    private long _tokensRun;

    private EmbeddingModel(Checkpoint checkpoint, ModelConfig config, IEmbeddingBackend backend, DeviceSpec device, ModelOptions options)
    {
        _checkpoint = checkpoint;
        Config = config;
        Backend = backend;
        Device = device;
        _options = options;
        PassTokens = options.MaxBatchTokens ?? backend.TokensPerPass;
        Identity = ModelIdentity.Of(checkpoint, config);
    }

    /// <summary>Loads an embedding checkpoint (.pth or .safetensors).</summary>
    /// <exception cref="CheckpointException">The file is not a valid EmbeddingRWKV checkpoint (message names key and shape).</exception>
    public static EmbeddingModel Load(string path, ModelOptions? options = null)
    {
        options ??= new ModelOptions();
        if (options.MaxBatchTokens <= 0) throw new ArgumentOutOfRangeException(nameof(options), options.MaxBatchTokens, "MaxBatchTokens must be positive (or null: the backend's pass size)");
        ArgumentNullException.ThrowIfNull(options.Encoding, nameof(options.Encoding));
        (options.Encoding as MultiEos)?.Validate();
        var device = BackendRegistry.Resolve(options.Device, out var note);
        if (note != null) options.Log?.Invoke(note);
        var ckpt = Checkpoint.Open(path);
        try
        {
            var config = ConfigReader.ReadEmbedding(ckpt);
            var backend = BackendRegistry.ProviderFor(device).CreateEmbedding(ckpt, config, device.Index, options.Precision);
            return new EmbeddingModel(ckpt, config, backend, device, options);
        }
        catch
        {
            ckpt.Dispose();
            throw;
        }
    }

    /// <summary>Model shape.</summary>
    public ModelConfig Config { get; }

    /// <summary>
    /// Most tokens of one pass through the backend: <see cref="ModelOptions.MaxBatchTokens"/> when set, else the backend's
    /// own <see cref="IEmbeddingBackend.TokensPerPass"/>.
    /// </summary>
    public int PassTokens { get; }

    /// <summary>The device this model runs on.</summary>
    public DeviceSpec Device { get; }

    /// <summary>Human-readable device description.</summary>
    public string DeviceName => Backend.DeviceName;

    /// <summary>Hex digest identifying this model's shapes and weights (recorded in saved document states).</summary>
    public string Identity { get; }

    /// <summary>The tokenizer (RWKV world v20230424).</summary>
    public RwkvTokenizer Tokenizer => RwkvTokenizer.Default;

    internal IEmbeddingBackend Backend { get; }

    internal ModelOptions Options => _options;

    /// <summary>The encoding texts get when a call names none (<see cref="ModelOptions.Encoding"/>).</summary>
    public TextEncoding Encoding => _options.Encoding;

    /// <summary>Embeds one text (encoded with <see cref="ModelOptions.Encoding"/>, default one EOS appended) with the head of
    /// <paramref name="task"/>: [C], not L2-normalised.</summary>
    public float[] Embed(string text, EmbeddingTask task = EmbeddingTask.Retrieval) => Embed([text], task)[0];

    /// <summary>Embeds texts, each encoded with <see cref="ModelOptions.Encoding"/> (default: EOS appended) and run from a zero state: [B][C].</summary>
    public float[][] Embed(IReadOnlyList<string> texts, EmbeddingTask task = EmbeddingTask.Retrieval, CancellationToken cancellationToken = default) =>
        Embed(texts, task, instruction: null, encoding: null, cancellationToken);

    /// <summary>
    /// Embeds texts with an instruction (upstream's <c>"Instruct: {instruction}\nQuery: {text}"</c>; null: none) and an encoding
    /// (null: <see cref="ModelOptions.Encoding"/>): [B][C]. For upstream's instruction and head of an MTEB task, pass
    /// <see cref="TaskInstructions.For"/>'s <see cref="TaskPrompt.Head"/> and <see cref="TaskPrompt.Instruction"/>.
    /// </summary>
    public float[][] Embed(IReadOnlyList<string> texts, EmbeddingTask task, string? instruction, TextEncoding? encoding = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var seqs = new int[texts.Count][];
        for (int i = 0; i < seqs.Length; i++)
            seqs[i] = EncodeText(texts[i] ?? throw new ArgumentNullException(nameof(texts), $"text {i} is null"), instruction, encoding);
        return EmbedTokens(seqs, task, cancellationToken);
    }

    /// <summary>The token sequence the model runs for <paramref name="text"/>: instruction applied, tokenized, then encoded with
    /// <paramref name="encoding"/> (null: <see cref="ModelOptions.Encoding"/>).</summary>
    public int[] EncodeText(string text, string? instruction = null, TextEncoding? encoding = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        return (encoding ?? _options.Encoding).Tokens(Tokenizer.Encode(TaskInstructions.Apply(instruction, text)));
    }

    /// <summary>
    /// Embeds token sequences used exactly as given (each must contain EOS 65535 at least once; the embedding is the mean over
    /// its EOS positions), each from a zero state and exactly as if alone: [B][C].
    /// </summary>
    public float[][] EmbedTokens(IReadOnlyList<int[]> sequences, EmbeddingTask task = EmbeddingTask.Retrieval, CancellationToken cancellationToken = default)
    {
        var result = RunChunked(sequences, null, task, keepState: false, cancellationToken);
        var output = new float[sequences.Count][];
        for (int i = 0; i < output.Length; i++) output[i] = result.GetEmbedding(i);
        return output;
    }

    /// <summary>
    /// Runs sequences (a ragged batch: lengths may differ; each is exact as if alone) from <paramref name="state"/>
    /// (null: zeros) and returns the embeddings and the new state. The given state is not modified.
    /// </summary>
    /// <param name="sequences">B token sequences, ids in 0..65535.</param>
    /// <param name="state">Start state with batch B (e.g. from an earlier call), or null.</param>
    /// <param name="task">Head applied to sequences that contain EOS.</param>
    /// <param name="cancellationToken">Checked between internal batches.</param>
    public ForwardResult Forward(IReadOnlyList<int[]> sequences, ModelState? state = null, EmbeddingTask task = EmbeddingTask.Retrieval,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        state?.EnsureShape(Config, sequences.Count, nameof(state));
        return RunChunked(sequences, state, task, keepState: true, cancellationToken);
    }

    private ForwardResult RunChunked(IReadOnlyList<int[]> sequences, ModelState? start, EmbeddingTask task, bool keepState, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var all = PackedBatch.Pack(sequences); // validated once, before any work
        int c = Config.Channels;
        var embeddings = new float[]?[all.Count];
        var parts = new List<ModelState>();
        foreach (var chunk in Chunks(all, int.MaxValue, ct))
        {
            int b0 = chunk.First, batch = chunk.Count;
            // The state lives where the backend computes; it comes to the host only when the caller asked for it.
            using var st = start != null ? Backend.Upload(start.Slice(b0, batch)) : Backend.CreateState(batch);
            var sum = new float[batch * c];
            var count = new int[batch];
            Run(chunk, st, sum, count, ct);

            int pooled = 0;
            for (int b = 0; b < batch; b++) if (count[b] > 0) pooled++;
            if (pooled > 0)
            {
                var feats = new float[pooled * c];
                int p = 0;
                for (int b = 0; b < batch; b++)
                {
                    if (count[b] == 0) continue;
                    float inv = 1f / count[b];
                    var src = sum.AsSpan(b * c, c);
                    var dst = feats.AsSpan(p++ * c, c);
                    for (int i = 0; i < c; i++) dst[i] = src[i] * inv;
                }
                var emb = new float[pooled * c];
                Backend.Head(task, feats, emb);
                p = 0;
                for (int b = 0; b < batch; b++)
                    if (count[b] > 0) embeddings[b0 + b] = emb.AsSpan(p++ * c, c).ToArray();
            }
            if (keepState) parts.Add(st.ToHost());
        }
        var state = keepState
            ? parts.Count switch { 0 => new ModelState(Config, 0), 1 => parts[0], _ => ModelState.Concat(parts) }
            : new ModelState(Config, 0);
        return new ForwardResult(embeddings, state);
    }

    /// <summary>
    /// Runs sequences state-only (no pooling, no head) in internal batches of at most PassTokens tokens, the states
    /// staying in the backend: <paramref name="consume"/> gets (first sequence, that batch's state) and the state is
    /// disposed after it returns. <paramref name="start"/> gives each batch's start state (first, count); null: zeros.
    /// A batch holds at most <paramref name="maxSequences"/> sequences. With <paramref name="prefetch"/> (start states
    /// streamed from host memory) the next batch's start state is asked for once this batch's pass is queued and before
    /// <paramref name="consume"/> waits for it, so its copies overlap this batch's compute (two start states alive at once).
    /// </summary>
    internal void RunStates(IReadOnlyList<int[]> sequences, Func<int, int, BackendState>? start, Action<int, BackendState> consume, CancellationToken ct,
        int maxSequences = int.MaxValue, bool prefetch = false)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSequences, 1);
        var all = PackedBatch.Pack(sequences); // validated once, before any work
        var chunks = Chunks(all, maxSequences, ct).ToList();
        BackendState? current = null, ahead = null;
        try
        {
            for (int i = 0; i < chunks.Count; i++)
            {
                current = ahead ?? Open(chunks[i]);
                ahead = null;
                Run(chunks[i], current, null, null, ct);
                if (prefetch && i + 1 < chunks.Count) ahead = Open(chunks[i + 1]);
                consume(chunks[i].First, current);
                current.Dispose();
                current = null;
            }
        }
        finally
        {
            current?.Dispose();
            ahead?.Dispose();
        }

        BackendState Open(Chunk chunk)
        {
            var st = start != null ? start(chunk.First, chunk.Count) : Backend.CreateState(chunk.Count);
            try { st.EnsureShape(Config, chunk.Count, nameof(start)); }
            catch { st.Dispose(); throw; }
            return st;
        }
    }

    /// <summary>How many more cached document states of <paramref name="precision"/> fit in this model's device memory now.</summary>
    public long ResidentCapacity(StatePrecision precision)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return Backend.StoreCapacity(precision);
    }

    /// <summary>
    /// Tokens this model (and a reranker sharing it) has run through the backend since it was loaded: every forward pass
    /// of embeddings, document states and reranking. Work done twice shows here twice.
    /// </summary>
    public long TokensRun => Interlocked.Read(ref _tokensRun);

    /// <summary>Bytes moved between host and device and kernels launched by this model's backend (and a reranker sharing it) so far.</summary>
    public BackendCounters Counters => Backend.Counters;

    // Sequences First .. First+Count-1 of a batch, run as one internal batch.
    private readonly record struct Chunk(int First, int Count, PackedBatch Batch);

    // Consecutive whole sequences (at most maxSequences) that fit in PassTokens; a longer sequence is a chunk of its own (run in passes).
    private IEnumerable<Chunk> Chunks(PackedBatch all, int maxSequences, CancellationToken ct)
    {
        int total = all.Count, passTokens = PassTokens, b0 = 0;
        while (b0 < total)
        {
            ct.ThrowIfCancellationRequested();
            int b1 = b0 + 1, tokens = all.Sequence(b0).Length;
            if (tokens <= passTokens)
                while (b1 < total && b1 - b0 < maxSequences && tokens + all.Sequence(b1).Length <= passTokens) tokens += all.Sequence(b1++).Length;
            yield return new Chunk(b0, b1 - b0, all.Slice(b0, b1 - b0));
            b0 = b1;
        }
    }

    /// <summary>
    /// Runs a chunk on <paramref name="state"/> in one pass, or, for one sequence longer than a pass, in consecutive passes of
    /// at most PassTokens tokens, each continuing the state the previous one left; the backend adds each pass's EOS sums
    /// to <paramref name="sum"/>, so the result equals one pass. Without <paramref name="sum"/>: state only.
    /// </summary>
    private void Run(Chunk chunk, BackendState state, float[]? sum, int[]? count, CancellationToken ct)
    {
        int passTokens = PassTokens;
        if (chunk.Batch.TokenCount <= passTokens)
        {
            Pass(chunk.Batch, state, sum, count);
            return;
        }
        for (int t0 = 0; t0 < chunk.Batch.TokenCount; t0 += passTokens)
        {
            ct.ThrowIfCancellationRequested();
            int n = Math.Min(passTokens, chunk.Batch.TokenCount - t0);
            Pass(PackedBatch.FromPacked(chunk.Batch.Sequence(0).Slice(t0, n), [0, n]), state, sum, count);
        }
    }

    private void Pass(PackedBatch batch, BackendState state, float[]? sum, int[]? count)
    {
        Interlocked.Add(ref _tokensRun, batch.TokenCount);
        if (sum is null) Backend.ForwardState(batch, state);
        else Backend.Forward(batch, state, sum, count!);
    }

    /// <summary>Frees the backend's memory and the checkpoint mapping.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Backend.Dispose();
        _checkpoint.Dispose();
    }
}
