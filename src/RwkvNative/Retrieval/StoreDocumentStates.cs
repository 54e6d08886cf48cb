using RwkvNative.Store;

namespace RwkvNative.Retrieval;

/// <summary><see cref="IDocumentStates"/> over a <see cref="DocumentStateStore"/> (which stays owned by the caller).</summary>
public sealed class StoreDocumentStates(DocumentStateStore store) : IDocumentStates
{
    private readonly DocumentStateStore _store = store ?? throw new ArgumentNullException(nameof(store));

    /// <inheritdoc />
    public string ModelIdentity => _store.ModelIdentity;

    /// <inheritdoc />
    public int Count => _store.Count;

    /// <inheritdoc />
    public DocumentState[] GetStates(IReadOnlyList<string> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var indices = new int[ids.Count];
        for (int i = 0; i < ids.Count; i++)
        {
            var id = ids[i] ?? throw new ArgumentException($"id {i} is null", nameof(ids));
            if (!_store.TryGetIndex(id, out indices[i])) throw new UnknownDocumentException(id, $"the store {_store.Directory}");
        }
        var states = new DocumentState[ids.Count];
        for (int i = 0; i < states.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            states[i] = _store.Get(indices[i]);
        }
        return states;
    }
}
