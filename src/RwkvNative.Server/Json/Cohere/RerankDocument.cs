namespace RwkvNative.Server.Json;

internal sealed class RerankDocument
{
    public required string Text { get; init; }
}
