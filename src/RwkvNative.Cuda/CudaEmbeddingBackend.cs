using System.Buffers;
using RwkvNative.Backends;
using RwkvNative.Checkpoints;
using RwkvNative.Cuda.Graph;
using RwkvNative.Cuda.Kernels;
using RwkvNative.Cuda.Memory;
using RwkvNative.Model;

namespace RwkvNative.Cuda;

/// <summary>
/// The embedding model on one CUDA device. Weights are uploaded once; each call uploads its tokens and state, runs
/// every layer on the device in passes of at most <see cref="CudaBackendOptions.MaxTokensPerPass"/> tokens, and
/// downloads the state and pooled sums. Calls are serialised per instance (one stream), so it is thread-safe.
/// </summary>
public sealed class CudaEmbeddingBackend : IEmbeddingBackend
{
    private readonly Lock gate = new();
    private readonly CudaSession session;
    private readonly List<IDisposable> weights = [];
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
            T Own<T>(T item) where T : IDisposable { weights.Add(item); return item; }
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
            if (o.CudaGraphs && o.GraphMaxTokens > 0) graphs = new ForwardGraphCache(this, session, Math.Min(o.GraphMaxTokens, o.MaxTokensPerPass));
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
    public ModelConfig Config { get; }

    /// <summary>The device this backend runs on.</summary>
    public CudaDevice Device => session.Device;

    /// <summary>GPU time of the last <see cref="Forward"/> (uploads, layers, downloads), from CUDA events.</summary>
    public TimeSpan LastForwardGpuTime { get; private set; }

    /// <inheritdoc/>
    public void Forward(PackedBatch batch, ModelState state, Span<float> eosSum, Span<int> eosCount)
    {
        int b = BackendChecks.Forward(batch, state, Config, eosSum, eosCount);
        if (b == 0) return;

        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            using var scope = session.Enter();
            int t = batch.TokenCount;
            if (graphs != null && b == 1 && t <= graphs.MaxTokens && t <= session.Options.MaxTokensPerPass &&
                graphs.TryForward(batch.Tokens, state, eosSum, eosCount, out var gpuTime))
            {
                LastForwardGpuTime = gpuTime;
                return;
            }
            ForwardEager(batch, state, eosSum, eosCount);
            graphs?.NoteEager(b, t);
        }
    }

    // Uploads the state, runs every pass and downloads the results (pageable host memory, the driver stages it).
    private void ForwardEager(PackedBatch batch, ModelState state, Span<float> eosSum, Span<int> eosCount)
    {
        int b = batch.Count, c = Config.Channels;
        var ws = session.Workspace;
        var stream = session.Stream;

        session.Start.Record(stream);
        var shift = ws.Shift.Get<float>(state.Shift.Length);
        var wkv = ws.Wkv.Get<float>(state.Wkv.Length);
        DeviceCopy.Upload<float>(stream, state.Shift, shift);
        DeviceCopy.Upload<float>(stream, state.Wkv, wkv);
        var sums = ws.EosSum.Get<float>((long)b * c);
        var counts = ws.EosCount.Get<int>(b);
        DeviceCopy.Zero(stream, sums);
        DeviceCopy.Zero(stream, counts);

        int total = batch.TokenCount, passSize = Math.Min(session.Options.MaxTokensPerPass, Math.Max(total, 1));
        var hostOffsets = ArrayPool<int>.Shared.Rent(b + 1);
        try
        {
            for (int t0 = 0; t0 < total; t0 += passSize)
            {
                int t1 = Math.Min(total, t0 + passSize);
                var pass = UploadPass(batch, t0, t1, hostOffsets);
                EnqueuePass(pass, shift, wkv, sums, counts);
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(hostOffsets);
        }

        DeviceCopy.Download<float>(stream, shift, state.Shift);
        DeviceCopy.Download<float>(stream, wkv, state.Wkv);
        var passSums = new float[b * c];
        var passCounts = new int[b];
        DeviceCopy.Download<float>(stream, sums, passSums);
        DeviceCopy.Download<int>(stream, counts, passCounts);
        session.End.Record(stream);
        for (int i = 0; i < passSums.Length; i++) eosSum[i] += passSums[i];
        for (int i = 0; i < b; i++) eosCount[i] += passCounts[i];
        LastForwardGpuTime = TimeSpan.FromMilliseconds(session.End.MillisecondsSince(session.Start));
    }

    /// <summary>
    /// Enqueues one pass (no host work, no synchronisation, so it can be captured): embedding + ln0, every layer,
    /// ln_out and EOS pooling. shift: [L, 2, B, C], wkv: [L, B, H, 64, 64], sums: [B, C], counts: [B], all on the device.
    /// </summary>
    internal void EnqueuePass(RaggedBatch pass, DeviceView<float> shift, DeviceView<float> wkv, DeviceView<float> sums, DeviceView<int> counts)
    {
        var ws = session.Workspace;
        int c = Config.Channels, count = pass.Tokens, batch = pass.Sequences;
        long perLayerShift = (long)batch * c, perLayerWkv = batch * BlockRunner.WkvPerSequence(c);
        var x = ws.X.Get<float>((long)count * c);
        session.Embedding.Run(table, pass.TokenIds, count, ln0W, ln0B, x, ModelSchema.LayerNormEps);
        for (int l = 0; l < Config.Layers; l++)
            session.Blocks.Run(blocks[l], l == 0, pass, x,
                shift.Slice((2L * l) * perLayerShift, perLayerShift),
                shift.Slice((2L * l + 1) * perLayerShift, perLayerShift),
                wkv.Slice(l * perLayerWkv, perLayerWkv), c);
        var normed = ws.Normed.Get<float>((long)count * c);
        session.LayerNorm.Run(x, lnOutW, lnOutB, normed, count, c, ModelSchema.LayerNormEps);
        session.Pooling.Run(normed, pass, sums, counts, c);
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

        lock (gate)
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
            session.Gemm.Multiply(fc1, f, batch, h1);
            session.Activations.Run(Activation.Relu, h1, n);
            session.Gemm.Multiply(fc2, h1, batch, h2);
            session.LayerNorm.RunSum(h2, f, normW, normB, output, batch, c, ModelSchema.LayerNormEps);
            DeviceCopy.Download(session.Stream, output, embeddings[..(int)n]);
        }
    }

    /// <summary>Frees the device memory and the context reference.</summary>
    public void Dispose()
    {
        lock (gate)
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
        for (int i = weights.Count - 1; i >= 0; i--) weights[i].Dispose();
        weights.Clear();
        session.Dispose();
    }
}
