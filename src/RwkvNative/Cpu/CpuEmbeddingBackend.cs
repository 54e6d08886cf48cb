using System.Buffers;
using System.Runtime.Intrinsics;
using RwkvNative.Backends;
using RwkvNative.Checkpoints;
using RwkvNative.Model;

namespace RwkvNative.Cpu;

/// <summary>
/// The embedding model on the CPU in float32: weights converted once at load, activations in pooled buffers.
/// Stateless between calls, so concurrent calls are safe.
/// </summary>
internal sealed class CpuEmbeddingBackend : IEmbeddingBackend
{
    private readonly CpuBlockWeights[] _blocks;
    private readonly EmbeddingTable _emb;
    private readonly float[] _ln0W, _ln0B, _lnOutW, _lnOutB;
    private readonly Dictionary<EmbeddingTask, TaskHead> _heads = new();

    private readonly int _threads;

    public CpuEmbeddingBackend(Checkpoint ckpt, ModelConfig config, int threads, Precision precision = Precision.Float32)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        _threads = threads;
        Config = config;
        _emb = new EmbeddingTable(ckpt.Get(ModelSchema.EmbeddingTable));
        _ln0W = ckpt.Get(ModelSchema.BlockKey(ModelSchema.EmbeddingPrefix, 0, ModelSchema.Ln0Weight)).ToFloat32();
        _ln0B = ckpt.Get(ModelSchema.BlockKey(ModelSchema.EmbeddingPrefix, 0, ModelSchema.Ln0Bias)).ToFloat32();
        _lnOutW = ckpt.Get(ModelSchema.EmbeddingLnOutWeight).ToFloat32();
        _lnOutB = ckpt.Get(ModelSchema.EmbeddingLnOutBias).ToFloat32();
        _blocks = new CpuBlockWeights[config.Layers];
        for (int i = 0; i < config.Layers; i++) _blocks[i] = CpuBlockWeights.Load(ckpt, ModelSchema.EmbeddingPrefix, config, i, precision);
        foreach (var task in ModelSchema.Heads)
        {
            var p = ModelSchema.HeadPrefix(task);
            _heads[task] = new TaskHead(
                LinearWeight.FromLinear(ckpt.Get(p + ModelSchema.HeadFc1)),
                LinearWeight.FromLinear(ckpt.Get(p + ModelSchema.HeadFc2)),
                ckpt.Get(p + ModelSchema.HeadNormWeight).ToFloat32(),
                ckpt.Get(p + ModelSchema.HeadNormBias).ToFloat32());
        }
        DeviceName = $"cpu ({threads} of {Environment.ProcessorCount} threads, {SimdName()}"
            + (precision == Precision.Int8 ? $", int8 {Int8Gemm.BestIsa})" : ")");
    }

    public string DeviceName { get; }

    public ModelConfig Config { get; }

    // A host state is used in place: the CPU backend's states are host arrays (CpuState), so this is the same path.
    public void Forward(PackedBatch batch, ModelState state, Span<float> eosSum, Span<int> eosCount) =>
        Forward(batch, new CpuState(state ?? throw new ArgumentNullException(nameof(state))), eosSum, eosCount);

    public BackendState CreateState(int batch) => new CpuState(new ModelState(Config, batch));

    public BackendState Upload(ModelState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        state.EnsureShape(Config, state.Batch, nameof(state));
        return new CpuState(state.Clone());
    }

    public void ForwardState(PackedBatch batch, BackendState state)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var host = CpuState.Of(state, nameof(state)).Host;
        host.EnsureShape(Config, batch.Count, nameof(state));
        if (batch.TokenCount == 0) return;
        var x = ArrayPool<float>.Shared.Rent(batch.TokenCount * Config.Channels);
        try { RunLayers(batch, host, x); }
        finally { ArrayPool<float>.Shared.Return(x); }
    }

    public StateStore CreateStore(int count, StatePrecision precision) => new CpuStateStore(Config, count, precision);

    public long StoreCapacity(StatePrecision precision)
    {
        var info = GC.GetGCMemoryInfo();
        long free = Math.Max(0, info.TotalAvailableMemoryBytes - info.MemoryLoadBytes);
        return free / StateStore.BytesPerState(Config, precision);
    }

    public BackendCounters Counters => default;

    // Fills x [T, C] with the residual stream after every layer.
    private void RunLayers(PackedBatch batch, ModelState state, float[] x)
    {
        CpuParallel.ForRows(batch.TokenCount, Config.Channels, new EmbedJob(_emb, batch.TokenArray, _ln0W, _ln0B, x, Config.Channels), _threads);
        CpuGraph.RunBlocks(_blocks, Config, x, batch, state, _threads);
    }

    public void Forward(PackedBatch batch, BackendState backendState, Span<float> eosSum, Span<int> eosCount)
    {
        var state = CpuState.Of(backendState, nameof(backendState)).Host;
        int b = BackendChecks.Forward(batch, state, Config, eosSum, eosCount);
        int c = Config.Channels, t = batch.TokenCount;
        if (t == 0) return;

        // The residual stream of a pass is rented, not allocated: a long text runs in many passes of the same size, and a
        // fresh [T, C] array per pass is large-object garbage that only a full collection returns (RSS crept with length).
        var x = ArrayPool<float>.Shared.Rent(t * c);
        try
        {
            RunLayers(batch, state, x);

            var outRow = new float[c];
            var tokens = batch.Tokens;
            var offsets = batch.Offsets;
            for (int s = 0; s < b; s++)
            {
                var sum = eosSum.Slice(s * c, c);
                for (int i = offsets[s]; i < offsets[s + 1]; i++)
                {
                    if (tokens[i] != ModelSchema.EosToken) continue;
                    Ops.LayerNorm(x.AsSpan(i * c, c), _lnOutW, _lnOutB, outRow);
                    Ops.Add(sum, outRow);
                    eosCount[s]++;
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(x);
        }
    }

    public void Head(EmbeddingTask task, ReadOnlySpan<float> features, Span<float> embeddings)
    {
        if (!_heads.TryGetValue(task, out var head)) throw new ArgumentOutOfRangeException(nameof(task), task, "unknown task");
        int c = Config.Channels;
        if (features.Length % c != 0) throw new ArgumentException($"features length {features.Length} is not a multiple of C={c}", nameof(features));
        int b = features.Length / c;
        if (embeddings.Length < features.Length) throw new ArgumentException($"embeddings needs {features.Length} floats", nameof(embeddings));
        head.Apply(features, b, embeddings, _threads);
    }

    public void Dispose() { }

    internal static string SimdName() =>
        Vector512.IsHardwareAccelerated ? "AVX-512" : Vector256.IsHardwareAccelerated ? "AVX2" : Vector128.IsHardwareAccelerated ? "128-bit SIMD" : "scalar";
}

/// <summary>x[t] = LN(emb[token t]; ln0) for rows of the packed batch.</summary>
internal readonly struct EmbedJob(EmbeddingTable table, int[] tokens, float[] lnW, float[] lnB, float[] x, int c) : IRowJob
{
    public void Rows(int start, int end)
    {
        Span<float> raw = stackalloc float[c];
        for (int i = start; i < end; i++)
        {
            table.Row(tokens[i], raw);
            Ops.LayerNorm(raw, lnW, lnB, x.AsSpan(i * c, c));
        }
    }
}

/// <summary>A task head: embedding = LN(fc2(relu(fc1(f))) + f; norm).</summary>
internal sealed class TaskHead(LinearWeight fc1, LinearWeight fc2, float[] normW, float[] normB)
{
    /// <summary>features: [B, C]; embeddings: [B, C].</summary>
    public void Apply(ReadOnlySpan<float> features, int batch, Span<float> embeddings, int threads)
    {
        int c = normW.Length;
        var h = new float[batch * c];
        var h2 = new float[batch * c];
        Gemm.Linear(features, batch, fc1, h, false, threads);
        for (int i = 0; i < h.Length; i++) h[i] = MathF.Max(h[i], 0f);
        Gemm.Linear(h, batch, fc2, h2, false, threads);
        for (int b = 0; b < batch; b++)
        {
            var row = h2.AsSpan(b * c, c);
            Ops.Add(row, features.Slice(b * c, c));
            Ops.LayerNorm(row, normW, normB, embeddings.Slice(b * c, c));
        }
    }
}

/// <summary>The token embedding table kept in its stored dtype (a copy of the checkpoint bytes); rows converted on gather.</summary>
internal sealed class EmbeddingTable
{
    private readonly ushort[]? _half;
    private readonly float[]? _full;
    private readonly TensorDType _dtype;
    private readonly int _c;

    public EmbeddingTable(CheckpointTensor t)
    {
        _dtype = t.DType;
        _c = t.Shape[1];
        if (_dtype == TensorDType.Float32) _full = t.ToFloat32();
        else _half = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(t.RawBytes).ToArray();
    }

    /// <summary>Row <paramref name="token"/> as float32 into <paramref name="dst"/> [C].</summary>
    public void Row(int token, Span<float> dst)
    {
        int o = token * _c;
        if (_full != null) { _full.AsSpan(o, _c).CopyTo(dst); return; }
        var src = _half.AsSpan(o, _c);
        if (_dtype == TensorDType.BFloat16)
            for (int i = 0; i < _c; i++) dst[i] = BitConverter.Int32BitsToSingle(src[i] << 16);
        else
            for (int i = 0; i < _c; i++) dst[i] = (float)BitConverter.UInt16BitsToHalf(src[i]);
    }
}
