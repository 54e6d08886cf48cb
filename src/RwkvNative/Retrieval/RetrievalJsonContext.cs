using System.Text.Json.Serialization;

namespace RwkvNative.Retrieval;

/// <summary>Source-generated JSON for the retrieval files (NativeAOT-safe).</summary>
[JsonSerializable(typeof(string[]))]
internal sealed partial class RetrievalJsonContext : JsonSerializerContext;
