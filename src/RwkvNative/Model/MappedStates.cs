using System.Runtime.InteropServices;

namespace RwkvNative.Model;

/// <summary>
/// Batch-1 document states read in place from memory-mapped storage (a document-state store's log, see
/// <c>DocumentStateStore.MapStates</c>), for offline reranking without loading them: a backend gathers the states a
/// query scores straight from the mapping (the CPU) or streams them from it to the device (CUDA).
/// </summary>
/// <remarks>
/// <para>Slot <c>i</c> is one document: at byte <see cref="OffsetOf"/>(i) of <see cref="Memory"/>, its shift part
/// [L, 2, C] and then its wkv part [L, H, 64, 64], each value in <see cref="Precision"/> (little-endian float32 or
/// float16), <see cref="BytesPerState"/> bytes in all. Slots are not contiguous with each other (records have headers).</para>
/// <para>The mapping stays valid while anything made from it is alive: a store reading from it holds it with
/// <see cref="Hold"/>, so disposing this object (or the document-state store it came from) first is safe; the pages are
/// unmapped when the last holder lets go. The file must not be truncated under a live mapping (the store's writers never
/// do: they append, and a repair renames a new file over the old one).</para>
/// <para>Reads are thread-safe; the states never change.</para>
/// </remarks>
public sealed unsafe class MappedStates : IDisposable
{
    private readonly long[] _offsets;
    private readonly string[] _ids;
    private readonly IDisposable? _owner;
    private int _disposed;

    /// <summary>States of <paramref name="offsets"/>.Length slots at those byte offsets of <paramref name="memory"/>.</summary>
    /// <param name="layers">L of every state.</param>
    /// <param name="channels">C of every state.</param>
    /// <param name="precision">How each value is stored.</param>
    /// <param name="modelIdentity">Identity of the model that computed the states.</param>
    /// <param name="memory">The mapping (null only when there are no slots).</param>
    /// <param name="offsets">Byte offset of each slot's state in <paramref name="memory"/>.</param>
    /// <param name="ids">Document id of each slot.</param>
    /// <param name="owner">Disposed with this object (the mapping's file objects), or null.</param>
    internal MappedStates(int layers, int channels, StatePrecision precision, string modelIdentity, SafeBuffer? memory,
        long[] offsets, string[] ids, IDisposable? owner)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(layers);
        if (channels <= 0 || channels % ModelConfig.HeadSize != 0)
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "channels must be a positive multiple of 64");
        if (ids.Length != offsets.Length) throw new ArgumentException($"{ids.Length} ids for {offsets.Length} states", nameof(ids));
        if (memory == null && offsets.Length > 0) throw new ArgumentNullException(nameof(memory), "states need memory to live in");
        Layers = layers;
        Channels = channels;
        Precision = precision;
        ModelIdentity = modelIdentity;
        Memory = memory;
        _offsets = offsets;
        _ids = ids;
        _owner = owner;
        ulong length = memory?.ByteLength ?? 0;
        for (int i = 0; i < offsets.Length; i++)
            if (offsets[i] < 0 || (ulong)offsets[i] + (ulong)BytesPerState > length)
                throw new ArgumentOutOfRangeException(nameof(offsets), offsets[i], $"state {i} does not lie inside the {length}-byte mapping");
    }

    /// <summary>L of every state.</summary>
    public int Layers { get; }

    /// <summary>C of every state.</summary>
    public int Channels { get; }

    /// <summary>How each value is stored.</summary>
    public StatePrecision Precision { get; }

    /// <summary>Identity of the model that computed the states.</summary>
    public string ModelIdentity { get; }

    /// <summary>Whether <see cref="Dispose"/> was called (stores made before then still hold the mapping).</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>Number of slots.</summary>
    public int Count => _offsets.Length;

    /// <summary>The document id of each slot.</summary>
    public IReadOnlyList<string> Ids => _ids;

    /// <summary>Bytes of one stored value: 4 (float32) or 2 (float16).</summary>
    public int ElementBytes => Precision == StatePrecision.Float16 ? 2 : 4;

    /// <summary>Bytes of one state's shift part [L, 2, C].</summary>
    public long ShiftBytes => (long)Layers * 2 * Channels * ElementBytes;

    /// <summary>Bytes of one state's wkv part [L, H, 64, 64].</summary>
    public long WkvBytes => (long)Layers * Channels * ModelConfig.HeadSize * ElementBytes;

    /// <summary>Bytes of one state.</summary>
    public long BytesPerState => ShiftBytes + WkvBytes;

    /// <summary>
    /// The mapping, read-only (null when there are no slots). A reader that keeps using it past this object's lifetime
    /// holds it with <see cref="SafeBuffer.AcquirePointer"/> and lets go with <see cref="SafeBuffer.ReleasePointer"/>.
    /// </summary>
    public SafeBuffer? Memory { get; }

    /// <summary>Byte offset of slot <paramref name="slot"/>'s state (its shift part; the wkv part follows) in the mapping.</summary>
    public long OffsetOf(int slot)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, Count);
        return _offsets[slot];
    }

    /// <summary>Throws unless these states have the shape <paramref name="config"/> needs.</summary>
    public void EnsureShape(ModelConfig config, string paramName) =>
        ModelState.EnsureShape(Layers, 1, Channels, config, 1, paramName);

    /// <summary>Copies slot <paramref name="slot"/> into sequence <paramref name="b"/> of <paramref name="target"/>, as float32.</summary>
    /// <exception cref="ObjectDisposedException">This object was disposed and nothing else holds the mapping.</exception>
    public void Read(int slot, ModelState target, int b = 0)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (target.Layers != Layers || target.Channels != Channels)
            throw new ArgumentException($"target has L={target.Layers}, C={target.Channels}; these states have L={Layers}, C={Channels}", nameof(target));
        var memory = Hold();
        try { Read(memory, slot, target, b); }
        finally { Release(); }
    }

    /// <summary>
    /// Keeps the mapping alive until the matching <see cref="Release"/> (even past <see cref="Dispose"/>) and returns
    /// its first byte.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The mapping is already gone.</exception>
    internal byte* Hold()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (Memory == null) return null;
        byte* p = null;
        Memory.AcquirePointer(ref p);
        return p;
    }

    /// <summary>Lets go of one <see cref="Hold"/>.</summary>
    internal void Release() => Memory?.ReleasePointer();

    /// <summary>As <see cref="Read(int, ModelState, int)"/> through a pointer from <see cref="Hold"/>.</summary>
    internal void Read(byte* memory, int slot, ModelState target, int b)
    {
        long at = OffsetOf(slot);
        int shift = Layers * 2 * Channels, wkv = Layers * Channels * ModelConfig.HeadSize;
        byte* p = memory + at;
        if (Precision == StatePrecision.Float16)
            target.SetItem(b, new ReadOnlySpan<Half>(p, shift), new ReadOnlySpan<Half>(p + ShiftBytes, wkv));
        else
            target.SetItem(b, new ReadOnlySpan<float>(p, shift), new ReadOnlySpan<float>(p + ShiftBytes, wkv));
    }

    /// <summary>Lets go of the mapping; stores made from it keep it until they are disposed.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _owner?.Dispose();
    }
}
