namespace RwkvNative.Store;

/// <summary>
/// One record found in <c>states.log</c> whose header and key (id and content hash) passed their checksum. The embedding
/// and state are not read by the scan; their checksums are checked when they are read.
/// </summary>
/// <param name="Offset">Byte offset of the record's header in the log.</param>
/// <param name="Size">Bytes of the whole record (header and body, a multiple of 8).</param>
/// <param name="Kind">What it holds.</param>
/// <param name="Key">The document id, or the manifest's JSON text.</param>
/// <param name="Content">The document's content hash (default for a manifest).</param>
/// <param name="EmbeddingDimensions">Floats of the embedding (0: none).</param>
/// <param name="StateElementBytes">4 (float32) or 2 (fp16) per state value; 0 for a manifest.</param>
/// <param name="StateBytes">Bytes of the state (0 for a manifest).</param>
/// <param name="EmbeddingCrc">CRC-32C of the embedding's bytes.</param>
/// <param name="StateCrc">CRC-32C of the state's bytes.</param>
public sealed record StateLogRecord(long Offset, long Size, StateLogRecordKind Kind, string Key, ContentHash Content,
    int EmbeddingDimensions, int StateElementBytes, long StateBytes, uint EmbeddingCrc, uint StateCrc)
{
    /// <summary>Offset of the embedding's first float in the log.</summary>
    public long EmbeddingOffset => Offset + StateLog.HeaderSize + StateLog.Pad8(System.Text.Encoding.UTF8.GetByteCount(Key)) + ContentHash.Size;

    /// <summary>Offset of the state's first byte in the log.</summary>
    public long StateOffset => Offset + Size - StateBytes;

    /// <summary>Offset just past the record.</summary>
    public long End => Offset + Size;
}
