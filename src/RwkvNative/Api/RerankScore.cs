namespace RwkvNative;

/// <summary>One scored document.</summary>
/// <param name="Index">Position of the document in the caller's list.</param>
/// <param name="Logit">The reranker's raw output.</param>
/// <param name="Score">sigmoid(Logit), in (0, 1).</param>
public readonly record struct RerankScore(int Index, float Logit, float Score);
