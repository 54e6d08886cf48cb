namespace RwkvNative.Retrieval;

/// <summary>One result of retrieve-then-rerank.</summary>
/// <param name="Id">The document id.</param>
/// <param name="Similarity">Cosine similarity of its embedding to the query's (the retrieval step).</param>
/// <param name="VectorRank">0-based position among the retrieved candidates (before reranking).</param>
/// <param name="Logit">The reranker's raw output from the document's cached state.</param>
/// <param name="Score">sigmoid(Logit).</param>
public readonly record struct SearchHit(string Id, double Similarity, int VectorRank, float Logit, float Score);
