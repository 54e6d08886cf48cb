namespace RwkvNative.Model;

/// <summary>Shape of a state-based reranker.</summary>
/// <param name="Blocks">Shape of the reranker's blocks (<see cref="ModelConfig.Layers"/> = number of blocks).</param>
/// <param name="LayerIndices">Embedding-model layer read by each block, in block order.</param>
/// <param name="KeyName">Checkpoint key of the start vector: <c>reranker.emb.weight</c> or <c>reranker.token.weight</c>.</param>
public sealed record RerankerConfig(ModelConfig Blocks, IReadOnlyList<int> LayerIndices, string KeyName);
