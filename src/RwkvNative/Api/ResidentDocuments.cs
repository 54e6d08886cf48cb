using RwkvNative.Backends;
using RwkvNative.Model;

namespace RwkvNative;

/// <summary>
/// Cached document states resident in the reranker's device memory (or host memory on the CPU backend), made by
/// <see cref="Reranker.MakeResident(IReadOnlyList{DocumentState}, StatePrecision, IReadOnlyList{string}?, StatePlacement)"/>, <see cref="Reranker.MakeResident(MappedStates, StatePlacement)"/> or <see cref="Reranker.IndexResident"/>. Scoring a query against them moves no
/// state between host and device, unless they were placed in host memory (<see cref="Placement"/>): then each query
/// streams the states it scores to the device. Dispose to free the memory.
/// </summary>
public sealed class ResidentDocuments : IDisposable
{
    private readonly Dictionary<string, int>? _byId;

    internal ResidentDocuments(StateStore store, string modelIdentity, IReadOnlyList<string>? ids)
    {
        Store = store;
        ModelIdentity = modelIdentity;
        if (ids != null)
        {
            if (ids.Count != store.Count) throw new ArgumentException($"{ids.Count} ids for {store.Count} documents", nameof(ids));
            _byId = new Dictionary<string, int>(ids.Count, StringComparer.Ordinal);
            for (int i = 0; i < ids.Count; i++)
                if (!_byId.TryAdd(ids[i] ?? throw new ArgumentNullException(nameof(ids), $"id {i} is null"), i))
                    throw new ArgumentException($"id '{ids[i]}' appears twice", nameof(ids));
            Ids = ids.ToArray();
        }
    }

    internal StateStore Store { get; }

    /// <summary>Number of documents (slots 0..Count-1).</summary>
    public int Count => Store.Count;

    /// <summary>How the states are kept (float16 rounds each value once; scores then differ slightly from float32 ones).</summary>
    public StatePrecision Precision => Store.Precision;

    /// <summary>
    /// Where the states are: <see cref="StatePlacement.Device"/> (a query moves only its tokens and logits) or
    /// <see cref="StatePlacement.Host"/> (page-locked host memory, every scored state streamed to the GPU per query).
    /// </summary>
    public StatePlacement Placement => Store.Streams ? StatePlacement.Host : StatePlacement.Device;

    /// <summary>
    /// Why scoring these documents is slower than it should be (mapped states the GPU driver would not page-lock, so
    /// each copy is staged through pageable memory), or null.
    /// </summary>
    public string? StreamWarning => Store.StreamWarning;

    /// <summary>Whether the states are read in place from a mapped document-state store (not a copy).</summary>
    public bool IsMapped => Store.IsReadOnly;

    /// <summary>Identity of the model that computed the states.</summary>
    public string ModelIdentity { get; }

    /// <summary>The id of each slot, or null when none were given.</summary>
    public IReadOnlyList<string>? Ids { get; }

    /// <summary>Bytes of memory the states take.</summary>
    public long Bytes => Store.Count * StateStore.BytesPerState(Store.Config, Store.Precision);

    /// <summary>The slot of document <paramref name="id"/>; throws when it is not resident (or no ids were given).</summary>
    public int IndexOf(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (_byId == null) throw new InvalidOperationException("these resident documents were made without ids; score them by index");
        return _byId.TryGetValue(id, out var i) ? i : throw new KeyNotFoundException($"document '{id}' is not among the resident documents");
    }

    /// <summary>Frees the memory.</summary>
    public void Dispose() => Store.Dispose();
}
