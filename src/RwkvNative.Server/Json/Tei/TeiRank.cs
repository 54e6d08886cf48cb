namespace RwkvNative.Server.Json;

/// <summary>One item of TEI's <c>/rerank</c> answer.</summary>
internal sealed class TeiRank
{
    public required int Index { get; init; }
    public required float Score { get; init; }
    public string? Text { get; init; }
}
