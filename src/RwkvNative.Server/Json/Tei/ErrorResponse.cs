namespace RwkvNative.Server.Json;

/// <summary>text-embeddings-inference's error body.</summary>
internal sealed class ErrorResponse
{
    public required string Error { get; init; }
    public required string ErrorType { get; init; }
}
