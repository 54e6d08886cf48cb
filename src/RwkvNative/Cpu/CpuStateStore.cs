using RwkvNative.Backends;
using RwkvNative.Model;

namespace RwkvNative.Cpu;

/// <summary>
/// Resident states on the CPU: one shift [L, 2, C] and one wkv [L, H, 64, 64] array per slot, float32 or float16.
/// </summary>
internal sealed class CpuStateStore : StateStore
{
    private readonly float[][]? _shift32, _wkv32;
    private readonly Half[][]? _shift16, _wkv16;
    private readonly int _shiftLength, _wkvLength;

    public CpuStateStore(ModelConfig config, int count, StatePrecision precision) : base(config, count, precision)
    {
        _shiftLength = config.Layers * 2 * config.Channels;
        _wkvLength = config.Layers * config.Channels * ModelConfig.HeadSize;
        if (precision == StatePrecision.Float16)
        {
            _shift16 = new Half[count][];
            _wkv16 = new Half[count][];
            for (int i = 0; i < count; i++) { _shift16[i] = new Half[_shiftLength]; _wkv16[i] = new Half[_wkvLength]; }
        }
        else
        {
            _shift32 = new float[count][];
            _wkv32 = new float[count][];
            for (int i = 0; i < count; i++) { _shift32[i] = new float[_shiftLength]; _wkv32[i] = new float[_wkvLength]; }
        }
    }

    protected override void WriteHost(int first, IReadOnlyList<ModelState> states)
    {
        for (int i = 0; i < states.Count; i++) Put(first + i, states[i], 0);
    }

    protected override void WriteState(int first, BackendState states)
    {
        var host = CpuState.Of(states, nameof(states)).Host;
        for (int b = 0; b < host.Batch; b++) Put(first + b, host, b);
    }

    protected override BackendState GatherStates(ReadOnlySpan<int> indices)
    {
        var s = new ModelState(Config, indices.Length);
        for (int b = 0; b < indices.Length; b++) Get(indices[b], s, b);
        return new CpuState(s);
    }

    // Slot `slot` = sequence `b` of `state`: shift rows (l, k, b) and wkv block (l, b).
    private void Put(int slot, ModelState state, int b)
    {
        int c = Config.Channels, w = state.WkvPerLayerItem, batch = state.Batch;
        for (int l = 0; l < Config.Layers; l++)
        {
            for (int k = 0; k < 2; k++)
                Store(state.Shift.AsSpan(((l * 2 + k) * batch + b) * c, c), _shift32?[slot], _shift16?[slot], (l * 2 + k) * c);
            Store(state.Wkv.AsSpan((l * batch + b) * w, w), _wkv32?[slot], _wkv16?[slot], l * w);
        }
    }

    private void Get(int slot, ModelState state, int b)
    {
        if (_shift32 != null) state.SetItem<float>(b, _shift32[slot], _wkv32![slot]);
        else state.SetItem<Half>(b, _shift16![slot], _wkv16![slot]);
    }

    private static void Store(ReadOnlySpan<float> from, float[]? full, Half[]? half, int at)
    {
        if (full != null) { from.CopyTo(full.AsSpan(at)); return; }
        var to = half.AsSpan(at, from.Length);
        for (int i = 0; i < from.Length; i++) to[i] = (Half)from[i];
    }

    protected override void Dispose(bool disposing) { }
}
