namespace RwkvNative.Server.Json;

internal sealed class OpenAIUsage
{
    public required long PromptTokens { get; init; }
    public required long TotalTokens { get; init; }
}
