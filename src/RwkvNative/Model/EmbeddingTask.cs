namespace RwkvNative;

/// <summary>Embedding heads, selected by the task prefix upstream uses.</summary>
public enum EmbeddingTask
{
    /// <summary><c>[RETR]</c>: retrieval (the default).</summary>
    Retrieval,
    /// <summary><c>[CLS]</c>: classification.</summary>
    Classification,
    /// <summary><c>[STS]</c>: semantic textual similarity.</summary>
    Similarity,
}
