using RwkvNative.Backends;
using RwkvNative.Model;

namespace RwkvNative.Cpu;

/// <summary>
/// Mapped document states used where they are on the CPU: a gather widens the picked slots straight from the mapping
/// into the batch state, so no copy of the documents is ever loaded. Holds the mapping until disposed.
/// </summary>
internal sealed unsafe class CpuMappedStateStore : StateStore
{
    private readonly MappedStates _states;
    private readonly byte* _memory;
    private int _released;

    public CpuMappedStateStore(ModelConfig config, MappedStates states) : base(config, states.Count, states.Precision)
    {
        states.EnsureShape(config, nameof(states));
        _states = states;
        _memory = states.Hold();
    }

    /// <inheritdoc/>
    public override bool IsReadOnly => true;

    // Write refuses before these are reached (IsReadOnly).
    protected override void WriteHost(int first, IReadOnlyList<ModelState> states) => throw new System.Diagnostics.UnreachableException();

    protected override void WriteState(int first, BackendState states) => throw new System.Diagnostics.UnreachableException();

    protected override BackendState GatherStates(ReadOnlySpan<int> indices)
    {
        ObjectDisposedException.ThrowIf(_released != 0, this);
        var s = new ModelState(Config, indices.Length);
        for (int b = 0; b < indices.Length; b++) _states.Read(_memory, indices[b], s, b);
        return new CpuState(s);
    }

    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _released, 1) == 0) _states.Release();
    }
}
