using System.Text.Json;

namespace RwkvNative.Server.Json.Requests;

/// <summary>OpenAI's <c>/v1/embeddings</c> body.</summary>
internal sealed class OpenAIEmbeddingsRequest : EncodingFields
{
    /// <summary>A text, a list of RWKV token ids, or an array of either.</summary>
    public required JsonElement Input { get; init; }

    /// <summary>Accepted and ignored: this server serves one model.</summary>
    public string? Model { get; init; }

    /// <summary><c>float</c> (default) or <c>base64</c> (little-endian float32).</summary>
    public string? EncodingFormat { get; init; }

    /// <summary>When given, must equal the model's width.</summary>
    public int? Dimensions { get; init; }

    /// <summary>Accepted and ignored.</summary>
    public string? User { get; init; }

    /// <summary>Cut inputs longer than --max-input-tokens (default: --auto-truncate).</summary>
    public bool? Truncate { get; init; }
}
