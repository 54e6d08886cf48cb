namespace RwkvNative.Server.Json;

/// <summary>OpenAI's error body: <c>{"error": {"message", "type", "param", "code"}}</c>.</summary>
internal sealed class OpenAIErrorResponse
{
    public required OpenAIError Error { get; init; }
}
