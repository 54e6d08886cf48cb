namespace RwkvNative.Server.Json;

/// <summary>One input of a request: a text, or token ids of this model's tokenizer (EOS is appended by the server).</summary>
internal readonly record struct Input(string? Text, int[]? Ids)
{
    /// <summary>Characters of the text (0 for ids), for TEI's <c>x-compute-characters</c>.</summary>
    public int Characters => Text?.Length ?? 0;
}
