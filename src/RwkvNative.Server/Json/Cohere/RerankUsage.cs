namespace RwkvNative.Server.Json;

internal sealed class RerankUsage
{
    public required long TotalTokens { get; init; }
}
