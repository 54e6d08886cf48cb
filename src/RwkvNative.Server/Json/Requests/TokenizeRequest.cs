using System.Text.Json;

namespace RwkvNative.Server.Json.Requests;

/// <summary>TEI's <c>/tokenize</c> body.</summary>
internal sealed class TokenizeRequest
{
    /// <summary>A text or an array of texts.</summary>
    public required JsonElement Inputs { get; init; }

    /// <summary>Append the EOS token (default true).</summary>
    public bool? AddSpecialTokens { get; init; }
}
