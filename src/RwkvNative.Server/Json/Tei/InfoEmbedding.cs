namespace RwkvNative.Server.Json;

internal sealed class InfoEmbedding
{
    public required string Pooling { get; init; }
    public required string[] Tasks { get; init; }
}
