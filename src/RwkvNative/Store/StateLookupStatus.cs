namespace RwkvNative.Store;

/// <summary>The outcome of <see cref="DocumentStateStore.TryGet"/>.</summary>
public enum StateLookupStatus
{
    /// <summary>The state is stored and was computed from the expected content (or no content was given).</summary>
    Found,

    /// <summary>No document with this id is stored.</summary>
    Missing,

    /// <summary>The stored state was computed from other text than the expected content: re-index the document.</summary>
    Stale,

    /// <summary>The stored record fails its checksum (the file was damaged): re-index the document.</summary>
    Damaged,
}
