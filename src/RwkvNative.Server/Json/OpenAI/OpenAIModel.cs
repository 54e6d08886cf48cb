namespace RwkvNative.Server.Json;

internal sealed class OpenAIModel
{
    public required string Id { get; init; }
    public string Object { get; init; } = "model";
    public required long Created { get; init; }
    public string OwnedBy { get; init; } = "rwkvnative";
}
