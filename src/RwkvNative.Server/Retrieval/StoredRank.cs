namespace RwkvNative.Server.Retrieval;

/// <summary>One item of <c>/rerank</c>'s answer to a request by ids: TEI's shape plus the id.</summary>
internal sealed class StoredRank
{
    public required int Index { get; init; }
    public required string Id { get; init; }
    public required float Score { get; init; }
}
