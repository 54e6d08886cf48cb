using RwkvNative.Backends;
using RwkvNative.Checkpoints;
using RwkvNative.Cuda.Capture;
using RwkvNative.Cuda.Kernels;
using RwkvNative.Cuda.Memory;
using RwkvNative.Cuda.Model;
using RwkvNative.Model;
using System.Buffers;

namespace RwkvNative.Cuda;

/// <summary>
/// The embedding model on one CUDA device. Weights are uploaded once; states live in device memory
/// (<see cref="CudaState"/>), so a call uploads only its tokens, runs every layer in passes of at most
/// <see cref="TokensPerPass"/> tokens, and downloads only the pooled sums. Calls are serialised per
/// device session (one stream, shared with a paired reranker), so it is thread-safe.
/// </summary>
public sealed class CudaEmbeddingBackend : IEmbeddingBackend
{
    private readonly CudaSession session;
    private readonly DeviceWeights weights = new();
    private readonly DeviceMatrix table;
    private readonly DeviceVector ln0W, ln0B, lnOutW, lnOutB;
    private readonly CudaBlockWeights[] blocks;
    private readonly (DeviceMatrix Fc1, DeviceMatrix Fc2, DeviceVector NormW, DeviceVector NormB)[] heads;
    private readonly ForwardGraphCache? graphs;
    private bool disposed;

    /// <summary>Uploads the weights of <paramref name="checkpoint"/> to device <paramref name="index"/>.</summary>
    public CudaEmbeddingBackend(Checkpoint checkpoint, ModelConfig config, int index, CudaBackendOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        var o = options ?? new CudaBackendOptions();
        if (o.MaxTokensPerPass < 1) throw new ArgumentOutOfRangeException(nameof(options), o.MaxTokensPerPass, "MaxTokensPerPass must be positive");
        session = CudaSession.Open(index, o);
        try
        {
            using var scope = session.Enter();
            var ctx = session.Context;
            int c = config.Channels;
            T Own<T>(T item) where T : IDisposable => weights.Own(item);
            table = Own(DeviceMatrix.Linear(ctx, checkpoint.Get(ModelSchema.EmbeddingTable, ModelSchema.VocabSize, c), o.Weights));
            ln0W = Own(DeviceVector.Upload(ctx, checkpoint.Get(ModelSchema.BlockKey(ModelSchema.EmbeddingPrefix, 0, ModelSchema.Ln0Weight)), c));
            ln0B = Own(DeviceVector.Upload(ctx, checkpoint.Get(ModelSchema.BlockKey(ModelSchema.EmbeddingPrefix, 0, ModelSchema.Ln0Bias)), c));
            lnOutW = Own(DeviceVector.Upload(ctx, checkpoint.Get(ModelSchema.EmbeddingLnOutWeight), c));
            lnOutB = Own(DeviceVector.Upload(ctx, checkpoint.Get(ModelSchema.EmbeddingLnOutBias), c));
            blocks = new CudaBlockWeights[config.Layers];
            for (int l = 0; l < config.Layers; l++)
                blocks[l] = Own(CudaBlockWeights.Load(ctx, checkpoint, ModelSchema.EmbeddingPrefix, l, config, o.Weights));
            heads = new (DeviceMatrix, DeviceMatrix, DeviceVector, DeviceVector)[3];
            foreach (var task in ModelSchema.Heads)
            {
                var p = ModelSchema.HeadPrefix(task);
                heads[(int)task] = (
                    Own(DeviceMatrix.Linear(ctx, checkpoint.Get(p + ModelSchema.HeadFc1, c, c), o.Weights)),
                    Own(DeviceMatrix.Linear(ctx, checkpoint.Get(p + ModelSchema.HeadFc2, c, c), o.Weights)),
                    Own(DeviceVector.Upload(ctx, checkpoint.Get(p + ModelSchema.HeadNormWeight), c)),
                    Own(DeviceVector.Upload(ctx, checkpoint.Get(p + ModelSchema.HeadNormBias), c)));
            }
            Interop.CudaCheck.Driver(Interop.CudaDriver.MemGetInfo(out var free, out _));
            TokensPerPass = PassSizing.TokensPerPass(o.MaxTokensPerPass,
                PassSizing.BytesPerToken(c, blocks.Max(w => w.FfnKey.Outputs), blocks.Max(w => w.MaxLoraWidth)), (long)free);
            if (o.CudaGraphs && o.GraphMaxTokens > 0) graphs = new ForwardGraphCache(ctx, session.Stream, session.Workspace, session.Start, session.End,
                    Config.Channels, Config.Layers, Math.Min(o.GraphMaxTokens, TokensPerPass), o.GraphCacheSize,
                    o.Log ?? (m => Console.Error.WriteLine(m)), (pass, shift, wkv, sums, counts) => EnqueuePass(pass, shift, wkv, sums, counts));
        }
        catch
        {
            ReleaseDeviceMemory();
            throw;
        }
    }

    /// <inheritdoc/>
    public string DeviceName => session.Device.ToString();

    /// <inheritdoc/>
    /// <remarks><see cref="CudaBackendOptions.MaxTokensPerPass"/> or sized by <see cref="PassSizing"/>.</remarks>
    public int TokensPerPass { get; }

    /// <inheritdoc/>
    public ModelConfig Config { get; }

    /// <summary>The device this backend runs on.</summary>
    public CudaDevice Device => session.Device;

    /// <summary>GPU time of the last forward call (layers and copies), from CUDA events.</summary>
    public TimeSpan LastForwardGpuTime { get; private set; }

    /// <summary>The device session (shared with a paired reranker).</summary>
    internal CudaSession Session => session;

    /// <inheritdoc/>
    public BackendCounters Counters => session.Stream.Counters.Read();

    /// <inheritdoc/>
    public BackendState CreateState(int batch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        lock (session.Gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            using var scope = session.Enter();
            return CudaState.Zero(session, Config, batch);
        }
    }

    /// <inheritdoc/>
    public BackendState Upload(ModelState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        state.EnsureShape(Config, state.Batch, nameof(state));
        lock (session.Gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            using var scope = session.Enter();
            return CudaState.Upload(session, state);
        }
    }

    /// <inheritdoc/>
    /// <remarks>The host state goes up, the layers run on the device copy, and the result comes back: the explicit form of
    /// <see cref="Upload"/> + forward + <see cref="BackendState.ToHost"/>.</remarks>
    public void Forward(PackedBatch batch, ModelState state, Span<float> eosSum, Span<int> eosCount)
    {
        BackendChecks.Forward(batch, state, Config, eosSum, eosCount);
        using var onDevice = (CudaState)Upload(state);
        Forward(batch, onDevice, eosSum, eosCount);
        lock (session.Gate)
        {
            using var scope = session.Enter();
            DeviceCopy.Download(session.Stream, onDevice.Shift, state.Shift);
            DeviceCopy.Download(session.Stream, onDevice.Wkv, state.Wkv);
        }
    }

    /// <inheritdoc/>
    public void Forward(PackedBatch batch, BackendState state, Span<float> eosSum, Span<int> eosCount)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(state);
        state.EnsureShape(Config, batch.Count, nameof(state));
        int b = batch.Count, c = Config.Channels;
        if (eosSum.Length < (long)b * c) throw new ArgumentException($"eosSum has {eosSum.Length} floats, needs [B={b}, C={c}]", nameof(eosSum));
        if (eosCount.Length < b) throw new ArgumentException($"eosCount has {eosCount.Length} entries, needs B={b}", nameof(eosCount));
        if (b == 0) return;

        lock (session.Gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            var s = CudaState.Of(state, session, nameof(state));
            using var scope = session.Enter();
            int t = batch.TokenCount;
            if (graphs != null && b == 1 && t <= graphs.MaxTokens && t <= TokensPerPass &&
                graphs.TryForward(batch.Tokens, s.Shift, s.Wkv, s.IsZero, eosSum, eosCount, out var gpuTime))
            {
                s.IsZero = false;
                LastForwardGpuTime = gpuTime;
                return;
            }
            ForwardEager(batch, s, eosSum, eosCount, pool: true);
            graphs?.NoteEager(b, t);
        }
    }

    /// <inheritdoc/>
    public void ForwardState(PackedBatch batch, BackendState state)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(state);
        state.EnsureShape(Config, batch.Count, nameof(state));
        if (batch.Count == 0) return;
        lock (session.Gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            var s = CudaState.Of(state, session, nameof(state));
            using var scope = session.Enter();
            ForwardEager(batch, s, [], [], pool: false);
        }
    }

    /// <inheritdoc/>
    public StateStore CreateStore(int count, StatePrecision precision)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return new CudaStateStore(session, Config, count, precision);
    }

    /// <inheritdoc/>
    public StateStore CreateHostStore(int count, StatePrecision precision)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return new CudaHostStateStore(session, Config, count, precision);
    }

    /// <inheritdoc/>
    public StateStore CreateMappedStore(MappedStates states)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentNullException.ThrowIfNull(states);
        return new CudaHostStateStore(session, Config, states);
    }

    /// <summary>Device memory kept free for the workspace and the states of a batch when sizing resident stores.</summary>
    public const long StoreReserveBytes = 1L << 30;

    /// <inheritdoc/>
    /// <remarks>Free device memory less <see cref="StoreReserveBytes"/> (workspace growth, batch states), per state.</remarks>
    public long StoreCapacity(StatePrecision precision)
    {
        lock (session.Gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            using var scope = session.Enter();
            Interop.CudaCheck.Driver(Interop.CudaDriver.MemGetInfo(out var free, out _));
            return Math.Max(0, (long)free - StoreReserveBytes) / StateStore.BytesPerState(Config, precision);
        }
    }

    // Runs every pass on the state where it is; uploads only each pass's tokens and layout, downloads only the pooled
    // sums and counts (added to the caller's, as the backend contract says).
    private void ForwardEager(PackedBatch batch, CudaState state, Span<float> eosSum, Span<int> eosCount, bool pool)
    {
        int b = batch.Count, c = Config.Channels;
        var ws = session.Workspace;
        var stream = session.Stream;

        session.Start.Record(stream);
        DeviceView<float> sums = default;
        DeviceView<int> counts = default;
        if (pool)
        {
            sums = ws.EosSum.Get<float>((long)b * c);
            counts = ws.EosCount.Get<int>(b);
            DeviceCopy.Zero(stream, sums);
            DeviceCopy.Zero(stream, counts);
        }

        int total = batch.TokenCount, passSize = Math.Min(TokensPerPass, Math.Max(total, 1));
        var hostOffsets = ArrayPool<int>.Shared.Rent(b + 1);
        try
        {
            for (int t0 = 0; t0 < total; t0 += passSize)
            {
                int t1 = Math.Min(total, t0 + passSize);
                var pass = UploadPass(batch, t0, t1, hostOffsets);
                EnqueuePass(pass, state.Shift, state.Wkv, sums, counts, pool);
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(hostOffsets);
        }
        state.IsZero = state.IsZero && total == 0;

        float[] passSums = [];
        int[] passCounts = [];
        if (pool)
        {
            passSums = new float[b * c];
            passCounts = new int[b];
            DeviceCopy.Download<float>(stream, sums, passSums);
            DeviceCopy.Download<int>(stream, counts, passCounts);
        }
        session.End.Record(stream);
        for (int i = 0; i < passSums.Length; i++) eosSum[i] += passSums[i];
        for (int i = 0; i < passCounts.Length; i++) eosCount[i] += passCounts[i];
        LastForwardGpuTime = TimeSpan.FromMilliseconds(session.End.MillisecondsSince(session.Start));
    }

    /// <summary>
    /// Enqueues one pass (no host work, no synchronisation, so it can be captured): embedding + ln0, every layer, then,
    /// when <paramref name="pool"/>, ln_out and EOS pooling. shift: [L, 2, B, C], wkv: [L, B, H, 64, 64], sums: [B, C],
    /// counts: [B], all on the device.
    /// </summary>
    internal void EnqueuePass(RaggedBatch pass, DeviceView<float> shift, DeviceView<float> wkv, DeviceView<float> sums, DeviceView<int> counts, bool pool = true)
    {
        var ws = session.Workspace;
        int c = Config.Channels, count = pass.Tokens, batch = pass.Sequences;
        long perLayerShift = (long)batch * c, perLayerWkv = batch * BlockRunner.WkvPerSequence(c);
        var x = ws.X.Get<float>((long)count * c);
        session.Kernels.Embedding.Run(table, pass.TokenIds, count, ln0W, ln0B, x, ModelSchema.LayerNormEps);
        for (int l = 0; l < Config.Layers; l++)
            session.Blocks.Run(blocks[l], l == 0, pass, x,
                shift.Slice((2L * l) * perLayerShift, perLayerShift),
                shift.Slice((2L * l + 1) * perLayerShift, perLayerShift),
                wkv.Slice(l * perLayerWkv, perLayerWkv), c);
        if (!pool) return;
        var normed = ws.Normed.Get<float>((long)count * c);
        session.Kernels.LayerNorm.Run(x, lnOutW, lnOutB, normed, count, c, ModelSchema.LayerNormEps);
        if (session.Options.TokenParallelPooling && TokenPoolingLauncher.Applies(batch, count))
            session.Kernels.TokenPooling.Run(normed, pass, sums, counts, ws.EosPartial.Get<float>(TokenPoolingLauncher.PartialFloats(count, c)), c);
        else
            session.Kernels.Pooling.Run(normed, pass, sums, counts, c);
    }

    // The pass covers packed rows [t0, t1): each sequence contributes its rows inside that window (possibly none),
    // so a long input runs as consecutive pieces, each continuing from the state the previous one left.
    private RaggedBatch UploadPass(PackedBatch batch, int t0, int t1, int[] hostOffsets)
    {
        int b = batch.Count, count = t1 - t0;
        var offsets = batch.Offsets;
        for (int s = 0; s <= b; s++) hostOffsets[s] = Math.Clamp(offsets[s], t0, t1) - t0;

        var ws = session.Workspace;
        var ids = ws.TokenIds.Get<int>(count);
        var off = ws.Offsets.Get<int>(b + 1);
        var seq = ws.SequenceOf.Get<int>(count);
        DeviceCopy.Upload(session.Stream, batch.Tokens[t0..t1], ids);
        DeviceCopy.Upload<int>(session.Stream, hostOffsets.AsSpan(0, b + 1), off);
        DeviceCopy.Upload(session.Stream, batch.SequenceOf[t0..t1], seq);
        return new RaggedBatch(count, b, ids, off, seq);
    }

    /// <inheritdoc/>
    public void Head(EmbeddingTask task, ReadOnlySpan<float> features, Span<float> embeddings)
    {
        int c = Config.Channels;
        if (features.Length % c != 0) throw new ArgumentException($"features has {features.Length} elements, not a multiple of C = {c}", nameof(features));
        int batch = features.Length / c;
        if (embeddings.Length < features.Length) throw new ArgumentException($"embeddings has {embeddings.Length} elements, needs {features.Length}", nameof(embeddings));
        if ((uint)task >= (uint)heads.Length) throw new ArgumentOutOfRangeException(nameof(task), task, "unknown task");
        var (fc1, fc2, normW, normB) = heads[(int)task];
        if (batch == 0) return;

        lock (session.Gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            using var scope = session.Enter();
            var ws = session.Workspace;
            long n = (long)batch * c;
            var f = ws.X.Get<float>(n);
            var h1 = ws.R.Get<float>(n);
            var h2 = ws.K.Get<float>(n);
            var output = ws.Out.Get<float>(n);
            DeviceCopy.Upload(session.Stream, features, f);
            session.Kernels.Gemm.Multiply(fc1, f, batch, h1);
            session.Kernels.Activations.Run(Activation.Relu, h1, n);
            session.Kernels.Gemm.Multiply(fc2, h1, batch, h2);
            session.Kernels.LayerNorm.RunSum(h2, f, normW, normB, output, batch, c, ModelSchema.LayerNormEps);
            DeviceCopy.Download(session.Stream, output, embeddings[..(int)n]);
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
        if (session.Context is { IsInvalid: false, IsClosed: false })
        {
            using var scope = session.Enter();
            graphs?.Dispose();
        }
        weights.Dispose();
        session.Dispose();
    }
}
