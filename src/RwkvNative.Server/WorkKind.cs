namespace RwkvNative.Server;

/// <summary>What a batch computes; only sequences of the same kind and task share a batch.</summary>
internal enum WorkKind
{
    Embed,
    Rerank,
}
