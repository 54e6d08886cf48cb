namespace RwkvNative.Server.Json;

/// <summary>Whose error body a route answers with, so each API's clients parse the errors they expect.</summary>
internal enum ErrorShape
{
    /// <summary>text-embeddings-inference: <c>{"error", "error_type"}</c>, status by the error type.</summary>
    Tei,

    /// <summary>OpenAI: <c>{"error": {"message", "type", "param", "code"}}</c>, 400 for a bad request.</summary>
    OpenAI,

    /// <summary>Cohere (and Jina): <c>{"message"}</c>, 400 for a bad request.</summary>
    Cohere,
}
