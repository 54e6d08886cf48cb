namespace RwkvNative.Model;

/// <summary>Where cached document states are kept for offline reranking (the reranker's resident documents).</summary>
public enum StatePlacement
{
    /// <summary>In the compute device's memory when they all fit (the backend's store capacity), else <see cref="Host"/>.</summary>
    Auto,

    /// <summary>In the compute device's memory: a query moves only its tokens in and its logits out.</summary>
    Device,

    /// <summary>
    /// In page-locked host memory, streamed to the device for every query in large asynchronous copies that overlap the
    /// previous chunk's compute: each query moves every scored state in once. On the CPU backend this is the same as
    /// <see cref="Device"/> (host memory is where it computes).
    /// </summary>
    Host,
}
