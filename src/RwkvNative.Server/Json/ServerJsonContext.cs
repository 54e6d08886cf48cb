// The server's JSON contracts, serialized by source-generated System.Text.Json code (no reflection: NativeAOT-safe): the response
// bodies (Tei/, OpenAI/, Cohere/ and the retrieval endpoints' Retrieval/) the endpoints write, and the request bodies (Requests/)
// the OpenAPI document describes; the handlers read requests field by field (RequestReader), never through these types.
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using RwkvNative.Server.Json.Requests;
using RwkvNative.Server.Retrieval;

namespace RwkvNative.Server.Json;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(OpenAIErrorResponse))]
[JsonSerializable(typeof(CohereErrorResponse))]
[JsonSerializable(typeof(float[][]))]
[JsonSerializable(typeof(List<TeiRank>))]
[JsonSerializable(typeof(OpenAIEmbeddingList<float[]>))]
[JsonSerializable(typeof(OpenAIEmbeddingList<string>))]
[JsonSerializable(typeof(RerankResponse))]
[JsonSerializable(typeof(InfoResponse))]
[JsonSerializable(typeof(List<List<TeiToken>>))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(OpenAIModelList))]
[JsonSerializable(typeof(CohereV2RerankResponse))]
[JsonSerializable(typeof(List<StoredRank>))]
[JsonSerializable(typeof(SearchResponse))]
[JsonSerializable(typeof(TeiEmbedRequest))]
[JsonSerializable(typeof(TeiRerankRequest))]
[JsonSerializable(typeof(SearchRequest))]
[JsonSerializable(typeof(TokenizeRequest))]
[JsonSerializable(typeof(DecodeRequest))]
[JsonSerializable(typeof(OpenAIEmbeddingsRequest))]
[JsonSerializable(typeof(CohereRerankRequest))]
[JsonSerializable(typeof(CohereV2RerankRequest))]
[JsonSerializable(typeof(string))]
internal sealed partial class ServerJsonContext : JsonSerializerContext
{
    /// <summary>
    /// The context the endpoints write with: the same naming, and relaxed escaping so that '+' (base64) and quotes in
    /// messages appear as themselves (these bodies are API answers, never inlined into HTML).
    /// </summary>
    public static ServerJsonContext Api { get; } = new(new JsonSerializerOptions
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    });
}
