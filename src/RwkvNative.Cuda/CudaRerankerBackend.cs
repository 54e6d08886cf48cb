using RwkvNative.Backends;
using RwkvNative.Checkpoints;
using RwkvNative.Cuda.Capture;
using RwkvNative.Cuda.Kernels;
using RwkvNative.Cuda.Memory;
using RwkvNative.Cuda.Model;
using RwkvNative.Model;

namespace RwkvNative.Cuda;

/// <summary>
/// The state-based reranker on one CUDA device (MODEL.md section 4). Each item is a sequence of one token run through
/// the reranker's blocks from a copy of the selected embedding-model layers' states, on the same block graph as the
/// embedding model. Paired with a <see cref="CudaEmbeddingBackend"/> it shares that backend's session and scores its
/// device states where they are. Thread-safe (calls are serialised per device session).
/// </summary>
public sealed class CudaRerankerBackend : IRerankerBackend
{
    // Largest copied state per pass; more items run in further passes (items are independent).
    private const long StateBytesPerPass = 1L << 30;

    private readonly CudaSession session;
    private readonly DeviceWeights weights = new();
    private readonly DeviceMatrix start;
    private readonly DeviceVector ln0W, ln0B, lnOutW, lnOutB, head0Bias, head2;
    private readonly DeviceMatrix head0;
    private readonly CudaBlockWeights[] blocks;
    private readonly int[] layerIndices;
    private bool disposed;

    /// <summary>Uploads the reranker weights of <paramref name="checkpoint"/> to device <paramref name="index"/>, in a session of its own.</summary>
    public CudaRerankerBackend(Checkpoint checkpoint, RerankerConfig config, int index, CudaBackendOptions? options = null)
        : this(checkpoint, config, () => CudaSession.Open(index, options ?? new CudaBackendOptions()), options) { }

    /// <summary>
    /// Uploads the reranker weights to <paramref name="model"/>'s device and shares its session (context, stream, cuBLAS,
    /// kernels, workspace), so it reads that model's device states in stream order with no host copy.
    /// </summary>
    public CudaRerankerBackend(Checkpoint checkpoint, RerankerConfig config, CudaEmbeddingBackend model, CudaBackendOptions? options = null)
        : this(checkpoint, config, () => (model ?? throw new ArgumentNullException(nameof(model))).Session.AddRef(), options) { }

    private CudaRerankerBackend(Checkpoint checkpoint, RerankerConfig config, Func<CudaSession> openSession, CudaBackendOptions? options)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(config);
        Config = config.Blocks;
        layerIndices = config.LayerIndices.ToArray();
        if (layerIndices.Length != Config.Layers)
            throw new ArgumentException($"{layerIndices.Length} layer indices for {Config.Layers} reranker blocks", nameof(config));
        var o = options ?? new CudaBackendOptions();
        session = openSession();
        try
        {
            using var scope = session.Enter();
            var ctx = session.Context;
            int c = Config.Channels;
            T Own<T>(T item) where T : IDisposable => weights.Own(item);
            start = Own(DeviceMatrix.Linear(ctx, checkpoint.Get(config.KeyName, 1, c), o.Weights));
            ln0W = Own(DeviceVector.Upload(ctx, checkpoint.Get(ModelSchema.BlockKey(ModelSchema.RerankerPrefix, 0, ModelSchema.Ln0Weight)), c));
            ln0B = Own(DeviceVector.Upload(ctx, checkpoint.Get(ModelSchema.BlockKey(ModelSchema.RerankerPrefix, 0, ModelSchema.Ln0Bias)), c));
            lnOutW = Own(DeviceVector.Upload(ctx, checkpoint.Get(ModelSchema.RerankerLnOutWeight), c));
            lnOutB = Own(DeviceVector.Upload(ctx, checkpoint.Get(ModelSchema.RerankerLnOutBias), c));
            head0 = Own(DeviceMatrix.Linear(ctx, checkpoint.Get(ModelSchema.RerankerHidden, c, c), o.Weights));
            head0Bias = Own(DeviceVector.Upload(ctx, checkpoint.Get(ModelSchema.RerankerHiddenBias), c));
            head2 = Own(DeviceVector.Upload(ctx, checkpoint.Get(ModelSchema.RerankerScore, 1, c), c));
            blocks = new CudaBlockWeights[Config.Layers];
            for (int r = 0; r < Config.Layers; r++)
                blocks[r] = Own(CudaBlockWeights.Load(ctx, checkpoint, ModelSchema.RerankerPrefix, r, Config, o.Weights));
        }
        catch
        {
            ReleaseDeviceMemory();
            throw;
        }
    }

    /// <inheritdoc/>
    public ModelConfig Config { get; }

    /// <inheritdoc/>
    public IReadOnlyList<int> LayerIndices => layerIndices;

    /// <summary>The device this backend runs on.</summary>
    public CudaDevice Device => session.Device;

    /// <summary>Bytes moved and launches issued on this backend's session (shared with a paired embedding model).</summary>
    public BackendCounters Counters => session.Stream.Counters.Read();

    /// <inheritdoc/>
    /// <remarks>The host states are uploaded first (the explicit host→device step), then scored as device states.</remarks>
    public void Logits(ReadOnlySpan<float> wkv, int modelLayers, int batch, Span<float> logits)
    {
        Check(wkv.Length, modelLayers, batch, logits, nameof(wkv));
        if (batch == 0) return;
        lock (session.Gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            using var scope = session.Enter();
            using var input = DeviceBuffer.Allocate(session.Context, (long)wkv.Length * sizeof(float));
            var view = input.View<float>(wkv.Length);
            DeviceCopy.Upload(session.Stream, wkv, view);
            LogitsOnDevice(view, batch, logits);
            session.Stream.Synchronize(); // before the input buffer is freed
        }
    }

    /// <inheritdoc/>
    public void Logits(BackendState state, Span<float> logits)
    {
        ArgumentNullException.ThrowIfNull(state);
        int c = Config.Channels;
        if (state.Channels != c) throw new ArgumentException($"state has C={state.Channels}, the reranker C={c}", nameof(state));
        Check(state.Layers * (long)state.Batch * BlockRunner.WkvPerSequence(c), state.Layers, state.Batch, logits, nameof(state));
        if (state.Batch == 0) return;
        lock (session.Gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            var s = CudaState.Of(state, session, nameof(state));
            using var scope = session.Enter();
            LogitsOnDevice(s.Wkv, s.Batch, logits);
        }
    }

    private void Check(long wkvLength, int modelLayers, int batch, Span<float> logits, string paramName)
    {
        int c = Config.Channels;
        long perItem = BlockRunner.WkvPerSequence(c);
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(modelLayers);
        if (wkvLength != modelLayers * batch * perItem)
            throw new ArgumentException($"wkv has {wkvLength} elements, expected [{modelLayers}, {batch}, {c / 64}, 64, 64]", paramName);
        foreach (var l in layerIndices)
            if (l >= modelLayers)
                throw new ArgumentException($"the reranker reads layer {l} but the states have {modelLayers} layers", nameof(modelLayers));
        if (logits.Length < batch) throw new ArgumentException($"logits has {logits.Length} elements, needs {batch}", nameof(logits));
    }

    // wkv: [L_model, B, H, 64, 64] on the device, only read. Session gate held, context current.
    private void LogitsOnDevice(DeviceView<float> wkv, int batch, Span<float> logits)
    {
        int c = Config.Channels;
        long perItem = BlockRunner.WkvPerSequence(c);
        int blocksCount = Config.Layers;
        int passItems = (int)Math.Clamp(StateBytesPerPass / (blocksCount * perItem * sizeof(float)), 1,
            Math.Min(batch, session.Options.MaxTokensPerPass ?? batch));
        var ws = session.Workspace;
        var stream = session.Stream;
        var hostLayout = new int[2 * passItems + 1];
        for (int i0 = 0; i0 < batch; i0 += passItems)
        {
            int n = Math.Min(passItems, batch - i0);
            long stateItems = n * perItem;

            // Copies (device to device) of the selected layers' states for items i0..i0+n: contiguous in [L, B, H, 64, 64].
            var states = ws.Wkv.Get<float>(blocksCount * stateItems);
            for (int r = 0; r < blocksCount; r++)
                DeviceCopy.DeviceToDevice(stream, wkv.Slice((layerIndices[r] * (long)batch + i0) * perItem, stateItems),
                    states.Slice(r * stateItems, stateItems));

            // n sequences of one token each: offsets 0..n, sequence of row i is i, token id 0 (the start vector).
            for (int i = 0; i <= n; i++) hostLayout[i] = i;
            var ids = ws.TokenIds.Get<int>(n);
            var off = ws.Offsets.Get<int>(n + 1);
            var seq = ws.SequenceOf.Get<int>(n);
            DeviceCopy.Zero(stream, ids);
            DeviceCopy.Upload<int>(stream, hostLayout.AsSpan(0, n + 1), off);
            DeviceCopy.Upload<int>(stream, hostLayout.AsSpan(0, n), seq);
            var pass = new RaggedBatch(n, n, ids, off, seq);

            var x = ws.X.Get<float>((long)n * c);
            session.Kernels.Embedding.Run(start, ids, n, ln0W, ln0B, x, ModelSchema.LayerNormEps);
            var shift = ws.Shift.Get<float>(2L * n * c);
            for (int r = 0; r < blocksCount; r++)
            {
                DeviceCopy.Zero(stream, shift); // every block starts with zero token shift
                session.Blocks.Run(blocks[r], r == 0, pass, x, shift.Slice(0, (long)n * c), shift.Slice((long)n * c, (long)n * c),
                    states.Slice(r * stateItems, stateItems), c);
            }

            var normed = ws.Normed.Get<float>((long)n * c);
            session.Kernels.LayerNorm.Run(x, lnOutW, lnOutB, normed, n, c, ModelSchema.LayerNormEps);
            var y = ws.R.Get<float>((long)n * c);
            session.Kernels.Gemm.Multiply(head0, normed, n, y);
            var deviceLogits = ws.Logits.Get<float>(n);
            session.Kernels.RerankerScore.Run(y, head0Bias, head2, deviceLogits, n, c);
            DeviceCopy.Download(stream, deviceLogits, logits.Slice(i0, n));
        }
    }

    /// <summary>Frees the device memory and the context reference.</summary>
    public void Dispose()
    {
        lock (session.Gate)
        {
            if (disposed) return;
            disposed = true;
            ReleaseDeviceMemory();
        }
    }

    private void ReleaseDeviceMemory()
    {
        weights.Dispose();
        session.Dispose();
    }
}
