namespace RwkvNative.Retrieval;

/// <summary>Cached document states by id: what reranking by id reads (implemented over the document-state store).</summary>
public interface IDocumentStates
{
    /// <summary>Identity of the model whose states these are.</summary>
    string ModelIdentity { get; }

    /// <summary>Number of documents held.</summary>
    int Count { get; }

    /// <summary>
    /// The states of <paramref name="ids"/>, in the same order (an id may repeat). With <paramref name="contentHashes"/>
    /// (hex, one per id: the text each state must have been computed from), a state computed from other text is refused.
    /// </summary>
    /// <exception cref="UnknownDocumentException">An id is not held (the first such id is named).</exception>
    /// <exception cref="RwkvNative.Store.StaleDocumentStateException">A state was computed from other text than its hash says.</exception>
    DocumentState[] GetStates(IReadOnlyList<string> ids, IReadOnlyList<string>? contentHashes = null, CancellationToken cancellationToken = default);
}
