using System.Text.Json;

namespace RwkvNative.Server.Json.Requests;

/// <summary>TEI's <c>/decode</c> body.</summary>
internal sealed class DecodeRequest
{
    /// <summary>RWKV token ids, or an array of such lists.</summary>
    public required JsonElement Ids { get; init; }

    /// <summary>Leave EOS tokens out (default true).</summary>
    public bool? SkipSpecialTokens { get; init; }
}
