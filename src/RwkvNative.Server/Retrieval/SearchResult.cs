namespace RwkvNative.Server.Retrieval;

internal sealed class SearchResult
{
    public required string Id { get; init; }
    public required float Score { get; init; }
    public required float Logit { get; init; }
    public required double Similarity { get; init; }
    public required int VectorRank { get; init; }
}
