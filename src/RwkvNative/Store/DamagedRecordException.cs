using RwkvNative.Checkpoints;

namespace RwkvNative.Store;

/// <summary>A stored document's record fails its checksum: the file was damaged. Re-indexing the document replaces it.</summary>
public sealed class DamagedRecordException(string documentId, string message) : CheckpointFormatException(message)
{
    /// <summary>Id of the damaged document.</summary>
    public string DocumentId { get; } = documentId;
}
