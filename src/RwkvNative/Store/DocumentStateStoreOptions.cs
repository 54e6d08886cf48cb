using RwkvNative.Model;

namespace RwkvNative.Store;

/// <summary>How <see cref="DocumentStateStore.OpenForWriting"/> creates or reopens a store.</summary>
public sealed record DocumentStateStoreOptions
{
    /// <summary>
    /// Precision of a new store. Null (default): float32 for a new store, whatever an existing store uses otherwise.
    /// A value that differs from an existing store's precision is refused.
    /// </summary>
    public StatePrecision? Precision { get; init; }

    /// <summary>
    /// Flush every append to the disk before it returns (default true). Off, a process kill still loses nothing that was
    /// appended (the OS holds it), but a power cut may lose the most recent documents (never corrupting older ones).
    /// </summary>
    public bool FlushToDisk { get; init; } = true;
}
