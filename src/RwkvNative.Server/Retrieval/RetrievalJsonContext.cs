// Serializer of the retrieval endpoints' response bodies (source-generated JSON, NativeAOT-safe).
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace RwkvNative.Server.Retrieval;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(List<StoredRank>))]
[JsonSerializable(typeof(SearchResponse))]
internal sealed partial class RetrievalJsonContext : JsonSerializerContext
{
    /// <summary>The same naming and escaping as the other endpoints' answers.</summary>
    public static RetrievalJsonContext Api { get; } = new(new JsonSerializerOptions
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    });
}
