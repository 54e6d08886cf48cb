// Alike in shape to OpenAIEmbeddingsRequest on purpose: each mirrors its own API's field names; the fields they share are EncodingFields.
using System.Text.Json;

namespace RwkvNative.Server.Json.Requests;

/// <summary>TEI's <c>/embed</c> body.</summary>
internal sealed class TeiEmbedRequest : EncodingFields
{
    /// <summary>A text, a list of RWKV token ids, or an array of either.</summary>
    public required JsonElement Inputs { get; init; }

    /// <summary>L2-normalise each embedding (default true).</summary>
    public bool? Normalize { get; init; }

    /// <summary>Cut inputs longer than --max-input-tokens instead of refusing them (default: --auto-truncate).</summary>
    public bool? Truncate { get; init; }

    /// <summary><c>Right</c> (default) or <c>Left</c>: which end truncation cuts.</summary>
    public string? TruncationDirection { get; init; }

    /// <summary>When given, must equal the model's width (embeddings are not shortened).</summary>
    public int? Dimensions { get; init; }
}
