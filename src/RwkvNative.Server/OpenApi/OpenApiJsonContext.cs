// The JSON contracts the OpenAPI generator reads schemas from: request bodies (OpenApi/Requests) and the response bodies the endpoints write.
using System.Text.Json.Serialization;
using RwkvNative.Server.Json;
using RwkvNative.Server.OpenApi.Requests;
using RwkvNative.Server.Retrieval;

namespace RwkvNative.Server.OpenApi;

/// <summary>Source-generated (NativeAOT-safe), with the naming the endpoints read and write (snake_case).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TeiEmbedRequest))]
[JsonSerializable(typeof(TeiRerankRequest))]
[JsonSerializable(typeof(SearchRequest))]
[JsonSerializable(typeof(TokenizeRequest))]
[JsonSerializable(typeof(DecodeRequest))]
[JsonSerializable(typeof(OpenAIEmbeddingsRequest))]
[JsonSerializable(typeof(CohereRerankRequest))]
[JsonSerializable(typeof(CohereV2RerankRequest))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(OpenAIErrorResponse))]
[JsonSerializable(typeof(CohereErrorResponse))]
[JsonSerializable(typeof(float[][]))]
[JsonSerializable(typeof(List<TeiRank>))]
[JsonSerializable(typeof(List<StoredRank>))]
[JsonSerializable(typeof(SearchResponse))]
[JsonSerializable(typeof(OpenAIEmbeddingList<float[]>))]
[JsonSerializable(typeof(RerankResponse))]
[JsonSerializable(typeof(CohereV2RerankResponse))]
[JsonSerializable(typeof(InfoResponse))]
[JsonSerializable(typeof(List<List<TeiToken>>))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(OpenAIModelList))]
[JsonSerializable(typeof(string))]
internal sealed partial class OpenApiJsonContext : JsonSerializerContext;
