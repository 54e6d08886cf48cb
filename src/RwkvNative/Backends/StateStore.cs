using RwkvNative.Model;

namespace RwkvNative.Backends;

/// <summary>
/// Many batch-1 states (cached documents) resident in the backend's memory, in <see cref="Precision"/>, so that each
/// query is scored against all of them or a subset without moving any state between host and device: states are
/// written once, then <see cref="Gather"/> builds the batch state a query continues from where the store lives.
/// Not thread-safe for writes; dispose to free it.
/// </summary>
public abstract class StateStore : IDisposable
{
    /// <summary>Sets the shape.</summary>
    protected StateStore(ModelConfig config, int count, StatePrecision precision)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Config = config;
        Count = count;
        Precision = precision;
    }

    /// <summary>Shape of every state.</summary>
    public ModelConfig Config { get; }

    /// <summary>Number of state slots.</summary>
    public int Count { get; }

    /// <summary>How values are kept (recorded: a float16 store's scores differ slightly from float32 ones).</summary>
    public StatePrecision Precision { get; }

    /// <summary>Values of one document's shift part, [L, 2, C].</summary>
    protected long ShiftPerState => (long)Config.Layers * 2 * Config.Channels;

    /// <summary>Values of one document's wkv part, [L, H·64·64].</summary>
    protected long WkvPerState => (long)Config.Layers * Config.Channels * ModelConfig.HeadSize;

    /// <summary>Bytes of one stored value in <see cref="Precision"/>.</summary>
    protected int ElementBytes => Precision == StatePrecision.Float16 ? 2 : 4;

    /// <summary>
    /// Whether the states live away from the compute device and each <see cref="Gather"/> copies the picked ones there
    /// (a host store on a GPU): callers then gather the next batch before waiting for the current one, so copies overlap compute.
    /// </summary>
    public virtual bool Streams => false;

    /// <summary>Most states one <see cref="Gather"/> takes (a streamed store's staging size; otherwise no limit).</summary>
    public virtual int MaxGather => int.MaxValue;

    /// <summary>
    /// Whether the states are read in place from storage this store does not own (a memory-mapped document-state store):
    /// then <see cref="Write(int, IReadOnlyList{ModelState})"/> refuses.
    /// </summary>
    public virtual bool IsReadOnly => false;

    /// <summary>What made this store slower than it should be (a mapping the driver would not page-lock), or null.</summary>
    public virtual string? StreamWarning => null;

    /// <summary>Bytes one state takes in a store of <paramref name="precision"/> for <paramref name="config"/>.</summary>
    public static long BytesPerState(ModelConfig config, StatePrecision precision) =>
        BackendState.BytesPerSequence(config) / sizeof(float) * (precision == StatePrecision.Float16 ? 2 : 4);

    /// <summary>Writes host states (batch 1 each) into slots <paramref name="first"/>, first + 1, ...</summary>
    public void Write(int first, IReadOnlyList<ModelState> states)
    {
        ArgumentNullException.ThrowIfNull(states);
        RefuseReadOnly();
        CheckRange(first, states.Count, nameof(first));
        for (int i = 0; i < states.Count; i++)
        {
            var s = states[i] ?? throw new ArgumentNullException(nameof(states), $"state {i} is null");
            s.EnsureShape(Config, 1, nameof(states));
        }
        WriteHost(first, states);
    }

    /// <summary>Writes every sequence of <paramref name="states"/> into slots <paramref name="first"/> .. first + B - 1, where they are (no host copy).</summary>
    public void Write(int first, BackendState states)
    {
        ArgumentNullException.ThrowIfNull(states);
        RefuseReadOnly();
        states.EnsureShape(Config, null, nameof(states));
        CheckRange(first, states.Batch, nameof(first));
        WriteState(first, states);
    }

    /// <summary>A new batch state whose sequence b is a float32 copy of slot <c>indices[b]</c> (slots may repeat).</summary>
    public BackendState Gather(ReadOnlySpan<int> indices)
    {
        if (indices.Length > MaxGather)
            throw new ArgumentOutOfRangeException(nameof(indices), indices.Length, $"this store gathers at most {MaxGather} states at a time");
        for (int i = 0; i < indices.Length; i++)
            if ((uint)indices[i] >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(indices), indices[i], $"index {i} is outside the store's 0..{Count - 1}");
        return GatherStates(indices);
    }

    /// <summary>Writes validated host states.</summary>
    protected abstract void WriteHost(int first, IReadOnlyList<ModelState> states);

    /// <summary>Writes a validated backend state of this store's backend.</summary>
    protected abstract void WriteState(int first, BackendState states);

    /// <summary>Gathers validated slots.</summary>
    protected abstract BackendState GatherStates(ReadOnlySpan<int> indices);

    private void RefuseReadOnly()
    {
        if (IsReadOnly) throw new InvalidOperationException("this store reads mapped states in place and cannot be written; make the documents resident in device memory to own a copy");
    }

    private void CheckRange(int first, int count, string paramName)
    {
        if (first < 0 || (long)first + count > Count)
            throw new ArgumentOutOfRangeException(paramName, first, $"slots {first}..{(long)first + count - 1} are outside the store's 0..{Count - 1}");
    }

    /// <summary>Frees the store's memory.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the memory (<paramref name="disposing"/>: called from <see cref="Dispose()"/>).</summary>
    protected abstract void Dispose(bool disposing);
}
