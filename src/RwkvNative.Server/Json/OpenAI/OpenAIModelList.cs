namespace RwkvNative.Server.Json;

/// <summary>OpenAI's <c>/v1/models</c> answer.</summary>
internal sealed class OpenAIModelList
{
    public string Object { get; init; } = "list";
    public required List<OpenAIModel> Data { get; init; }
}
