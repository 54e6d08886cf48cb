namespace RwkvNative.Store;

/// <summary>The result of looking a document's state up by id (and content hash).</summary>
/// <param name="Id">The id looked up.</param>
/// <param name="Status">What was found.</param>
/// <param name="State">The state when <paramref name="Status"/> is Found, else null.</param>
/// <param name="Stored">The stored document (null when Missing).</param>
/// <param name="Problem">For Stale and Damaged: what is wrong and what to do, in words.</param>
public sealed record StateLookup(string Id, StateLookupStatus Status, DocumentState? State, StoredDocument? Stored, string? Problem);
