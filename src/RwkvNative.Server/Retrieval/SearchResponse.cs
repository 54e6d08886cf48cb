namespace RwkvNative.Server.Retrieval;

/// <summary><c>/search</c>'s answer.</summary>
internal sealed class SearchResponse
{
    public required string Model { get; init; }
    public required List<SearchResult> Results { get; init; }
}
