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
    public DocumentState[] GetStates(IReadOnlyList<string> ids, IReadOnlyList<string>? contentHashes = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        for (int i = 0; i < ids.Count; i++)
            if (ids[i] is null) throw new ArgumentException($"id {i} is null", nameof(ids));
        ContentHash[]? contents = null;
        if (contentHashes != null)
        {
            if (contentHashes.Count != ids.Count) throw new ArgumentException($"{ids.Count} ids but {contentHashes.Count} content hashes", nameof(contentHashes));
            contents = new ContentHash[ids.Count];
            for (int i = 0; i < contents.Length; i++) contents[i] = ContentHash.Parse(contentHashes[i]);
        }
        // Unknown ids first, so that a request naming one is refused before any state is read.
        for (int i = 0; i < ids.Count; i++)
            if (!_store.Contains(ids[i])) throw new UnknownDocumentException(ids[i], $"the store {_store.Directory}");
        var states = new DocumentState[ids.Count];
        for (int i = 0; i < states.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var found = _store.TryGet(ids[i], contents?[i]);
            states[i] = found.Status switch
            {
                StateLookupStatus.Found => found.State!,
                StateLookupStatus.Missing => throw new UnknownDocumentException(ids[i], $"the store {_store.Directory}"),
                StateLookupStatus.Stale => throw new StaleDocumentStateException(ids[i], found.Stored!.Content, contents![i], found.Problem!),
                _ => _store.Get(found.Stored!.Index), // damaged: throws the damage with its details
            };
        }
        return states;
    }
}
