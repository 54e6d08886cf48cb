using RwkvNative.Backends;
using RwkvNative.Checkpoints;
using RwkvNative.Model;

namespace RwkvNative.Cpu;

/// <summary>
/// The state-based reranker on the CPU (MODEL.md section 4): each batch item runs one token through the reranker blocks,
/// block r starting from a copy of embedding layer LayerIndices[r]'s wkv state and zero token shift.
/// </summary>
internal sealed class CpuRerankerBackend : IRerankerBackend
{
    private readonly CpuBlockWeights[] _blocks;
    private readonly float[] _x0;
    private readonly float[] _lnOutW, _lnOutB, _head0B, _head2;
    private readonly LinearWeight _head0;
    private readonly int[] _layers;

    private readonly int _threads;

    public CpuRerankerBackend(Checkpoint ckpt, RerankerConfig config, int threads, Precision precision = Precision.Float32)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        _threads = threads;
        var blocks = config.Blocks;
        Config = blocks;
        _layers = config.LayerIndices.ToArray();
        _blocks = new CpuBlockWeights[blocks.Layers];
        for (int i = 0; i < blocks.Layers; i++) _blocks[i] = CpuBlockWeights.Load(ckpt, ModelSchema.RerankerPrefix, blocks, i, precision);
        _x0 = new float[blocks.Channels];
        Ops.LayerNorm(ckpt.Get(config.KeyName).ToFloat32(),
            ckpt.Get(ModelSchema.BlockKey(ModelSchema.RerankerPrefix, 0, ModelSchema.Ln0Weight)).ToFloat32(),
            ckpt.Get(ModelSchema.BlockKey(ModelSchema.RerankerPrefix, 0, ModelSchema.Ln0Bias)).ToFloat32(), _x0);
        _lnOutW = ckpt.Get(ModelSchema.RerankerLnOutWeight).ToFloat32();
        _lnOutB = ckpt.Get(ModelSchema.RerankerLnOutBias).ToFloat32();
        _head0 = LinearWeight.FromLinear(ckpt.Get(ModelSchema.RerankerHidden));
        _head0B = ckpt.Get(ModelSchema.RerankerHiddenBias).ToFloat32();
        _head2 = ckpt.Get(ModelSchema.RerankerScore).ToFloat32();
    }

    public ModelConfig Config { get; }

    public IReadOnlyList<int> LayerIndices => _layers;

    public void Logits(ReadOnlySpan<float> wkv, int modelLayers, int batch, Span<float> logits)
    {
        int c = Config.Channels;
        int per = c * ModelSchema.HeadSize;
        if (batch < 0) throw new ArgumentOutOfRangeException(nameof(batch), batch, "batch must not be negative");
        if (wkv.Length != (long)modelLayers * batch * per)
            throw new ArgumentException($"wkv states have {wkv.Length} floats, expected [L={modelLayers}, B={batch}, H={c / 64}, 64, 64]", nameof(wkv));
        foreach (var l in _layers)
            if (l >= modelLayers) throw new ArgumentException($"the reranker reads layer {l} but the states have {modelLayers} layers", nameof(wkv));
        if (logits.Length < batch) throw new ArgumentException($"logits needs {batch} entries", nameof(logits));
        if (batch == 0) return;

        var state = new ModelState(_blocks.Length, batch, c);
        for (int r = 0; r < _layers.Length; r++)
            wkv.Slice(_layers[r] * batch * per, batch * per).CopyTo(state.Wkv.AsSpan(r * batch * per, batch * per));
        var x = new float[batch * c];
        for (int b = 0; b < batch; b++) _x0.CopyTo(x.AsSpan(b * c, c));
        CpuGraph.RunBlocks(_blocks, Config, x, PackedBatch.OneTokenEach(batch), state, _threads);

        var norm = new float[batch * c];
        Ops.LayerNormRows(x, batch, _lnOutW, _lnOutB, norm);
        var hidden = new float[batch * c];
        Gemm.Linear(norm, batch, _head0, hidden, false, _threads);
        for (int b = 0; b < batch; b++)
        {
            var h = hidden.AsSpan(b * c, c);
            for (int i = 0; i < c; i++) h[i] = MathF.Tanh(h[i] + _head0B[i]);
            logits[b] = Ops.Dot(_head2, h);
        }
    }

    public void Logits(BackendState state, Span<float> logits)
    {
        var host = CpuState.Of(state, nameof(state)).Host;
        Logits(host.Wkv, host.Layers, host.Batch, logits);
    }

    public void Dispose() { }
}
