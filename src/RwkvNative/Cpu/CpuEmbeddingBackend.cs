using System.Buffers;
using System.Collections.Concurrent;
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
        _returnState = new Action<ModelState>[PooledBatch];
        for (int i = 0; i < PooledBatch; i++)
        {
            var pool = _statePool[i];
            _returnState[i] = h => { if (pool.Count < PooledPerBatch) pool.Add(h); };
        }
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

    // 4096 tokens: GEMMs of M = 4096 rows already run at the kernels' full rate, and the pass's float32 activations stay
    // in tens of MB for the 0.1B model (they grow linearly with this figure).
    public int TokensPerPass => 4096;

    // A host state is used in place: the CPU backend's states are host arrays (CpuState), so this is the same path.
    public void Forward(PackedBatch batch, ModelState state, Span<float> eosSum, Span<int> eosCount) =>
        Forward(batch, new CpuState(state ?? throw new ArgumentNullException(nameof(state))), eosSum, eosCount);

    public BackendState CreateState(int batch)
    {
        if (batch < 1 || batch > PooledBatch) return new CpuState(new ModelState(Config, batch));
        var pool = _statePool[batch - 1];
        if (pool.TryTake(out var host))
        {
            Array.Clear(host.Shift);
            Array.Clear(host.Wkv);
        }
        else
        {
            host = new ModelState(Config, batch);
        }
        return new CpuState(host, _returnState[batch - 1]);
    }

    // Zero states of small batches are reused: a B = 1 call otherwise allocates L·C·64 floats (2.4 MB at 0.1B) on the
    // large-object heap every time, garbage that only a gen-2 collection returns. The pool holds at most
    // PooledBatch · PooledPerBatch states (≈ 24 MB at 0.1B); larger batches allocate as before.
    private const int PooledBatch = 4, PooledPerBatch = 2;
    private readonly ConcurrentBag<ModelState>[] _statePool = [new(), new(), new(), new()];
    private readonly Action<ModelState>[] _returnState;

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

    // Host memory is where the CPU computes: the states are used where they are.
    public StateStore CreateHostStore(int count, StatePrecision precision) => CreateStore(count, precision);

    public StateStore CreateMappedStore(MappedStates states) => new CpuMappedStateStore(Config, states);

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
