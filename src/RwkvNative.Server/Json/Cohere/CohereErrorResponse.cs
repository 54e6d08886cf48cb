namespace RwkvNative.Server.Json;

/// <summary>Cohere's error body: <c>{"message"}</c>.</summary>
internal sealed class CohereErrorResponse
{
    public required string Message { get; init; }
}
