namespace RwkvNative.Server.Json;

internal sealed class CohereV2Result
{
    public required int Index { get; init; }
    public required float RelevanceScore { get; init; }
}
