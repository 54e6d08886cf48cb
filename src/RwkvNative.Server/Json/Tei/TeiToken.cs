using System.Text.Json.Serialization;

namespace RwkvNative.Server.Json;

/// <summary>One token of TEI's <c>/tokenize</c> answer.</summary>
internal sealed class TeiToken
{
    public required int Id { get; init; }
    public required string Text { get; init; }
    public required bool Special { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public int? Start { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public int? Stop { get; init; }
}
