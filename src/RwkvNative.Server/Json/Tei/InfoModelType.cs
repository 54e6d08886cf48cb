namespace RwkvNative.Server.Json;

/// <summary>TEI's <c>model_type</c>: exactly one key.</summary>
internal sealed class InfoModelType
{
    public required InfoEmbedding Embedding { get; init; }
}
