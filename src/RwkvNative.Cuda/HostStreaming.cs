namespace RwkvNative.Cuda;

/// <summary>
/// How many document states one streamed chunk of a host store holds (issue 13): the two device staging buffers in the
/// store's precision plus the two float32 batch states alive while a chunk is scored and the next one copied take at
/// most <see cref="FreeMemoryShare"/> of the free device memory, unless <see cref="CudaBackendOptions.StreamChunkDocuments"/>
/// fixes the count. Large chunks mean few, large copies (a 0.1B state is 2.4 MB in float32).
/// </summary>
internal static class HostStreaming
{
    /// <summary>Most documents per chunk chosen from memory: past it a copy is no faster per byte.</summary>
    public const int MaxDocuments = 1024;

    /// <summary>
    /// The explicit <paramref name="fixedDocuments"/> when given, else the documents whose two staged and two float32 batch
    /// states fit in <see cref="FreeMemoryShare"/>, clamped to [1, <see cref="MaxDocuments"/>]; never more than <paramref name="count"/> (at least 1).
    /// </summary>
    public static int DocumentsPerChunk(int? fixedDocuments, int count, long stagedBytesPerState, long batchBytesPerState, long freeBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(stagedBytesPerState, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchBytesPerState, 1);
        long n = fixedDocuments is { } f
            ? (f >= 1 ? f : throw new ArgumentOutOfRangeException(nameof(fixedDocuments), f, "StreamChunkDocuments must be positive"))
            : Math.Clamp(FreeMemoryShare.UnitsThatFit(freeBytes, 2 * (stagedBytesPerState + batchBytesPerState)), 1, MaxDocuments);
        return (int)Math.Max(1, Math.Min(n, count));
    }
}
