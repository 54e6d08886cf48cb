// Reads request bodies field by field so that every wrong type, and text that is not valid Unicode, is answered 422 with the field's name.
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace RwkvNative.Server.Json;

/// <summary>Field readers over a parsed JSON object.</summary>
internal static class RequestReader
{
    /// <summary>The body as one JSON object; malformed JSON or another kind of value is a 422.</summary>
    public static async Task<JsonDocument> ReadObjectAsync(HttpRequest request, CancellationToken ct)
    {
        JsonDocument doc;
        try
        {
            doc = await JsonDocument.ParseAsync(request.Body, default, ct).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            throw new ApiException(ErrorKind.Validation, $"malformed JSON in the request body: {e.Message}");
        }
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            var kind = doc.RootElement.ValueKind;
            doc.Dispose();
            throw new ApiException(ErrorKind.Validation, $"the request body must be a JSON object, got {Kind(kind)}");
        }
        return doc;
    }

    /// <summary>
    /// Whether the body (one JSON object) has a property <paramref name="name"/>, leaving the body rewound so that the
    /// endpoint it is routed to reads it again from the start.
    /// </summary>
    public static async Task<bool> PeekHasPropertyAsync(HttpRequest request, string name, CancellationToken ct)
    {
        request.EnableBuffering();
        bool has;
        using (var peek = await ReadObjectAsync(request, ct).ConfigureAwait(false))
            has = peek.RootElement.TryGetProperty(name, out _);
        request.Body.Position = 0;
        return has;
    }

    public static string RequiredString(JsonElement obj, string name)
    {
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
            throw ApiException.Invalid(name, $"missing field \"{name}\" (a string)");
        if (v.ValueKind != JsonValueKind.String) throw ApiException.Invalid(name, $"field \"{name}\" must be a string, got {Kind(v.ValueKind)}");
        return Text(v, name);
    }

    public static string? OptionalString(JsonElement obj, string name)
    {
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.String) throw ApiException.Invalid(name, $"field \"{name}\" must be a string, got {Kind(v.ValueKind)}");
        return Text(v, name);
    }

    public static bool Bool(JsonElement obj, string name, bool defaultValue)
    {
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return defaultValue;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw ApiException.Invalid(name, $"field \"{name}\" must be true or false, got {Kind(v.ValueKind)}"),
        };
    }

    public static int? OptionalInt(JsonElement obj, string name, int min)
    {
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int n))
            throw ApiException.Invalid(name, $"field \"{name}\" must be an integer, got {Describe(v)}");
        if (n < min) throw ApiException.Invalid(name, $"field \"{name}\" must be at least {min}, got {n}");
        return n;
    }

    /// <summary>A string (<paramref name="single"/>) or a non-empty array of strings (TEI's <c>inputs</c>, OpenAI's <c>input</c>).</summary>
    public static List<string> StringOrStrings(JsonElement obj, string name, out bool single)
    {
        single = false;
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
            throw ApiException.Invalid(name, $"missing field \"{name}\" (a string or an array of strings)");
        single = v.ValueKind == JsonValueKind.String;
        if (single) return [Text(v, name)];
        if (v.ValueKind != JsonValueKind.Array)
            throw ApiException.Invalid(name, $"field \"{name}\" must be a string or an array of strings, got {Kind(v.ValueKind)}");
        return Strings(v, name);
    }

    /// <summary>Largest token id of this model's tokenizer (the vocabulary is 0..65535, EOS = 65535).</summary>
    private const int MaxTokenId = RwkvNative.Tokenizer.RwkvTokenizer.EosToken;

    /// <summary>
    /// Inputs as texts or token ids (TEI's <c>inputs</c>, OpenAI's <c>input</c>): a string, an array of token ids, or an array
    /// whose items are strings or arrays of token ids. Ids above 65535 are another tokenizer's: refused, saying how to make
    /// the client send text.
    /// </summary>
    public static List<Input> Inputs(JsonElement obj, string name, out bool single)
    {
        single = false;
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
            throw ApiException.Invalid(name, $"missing field \"{name}\" (a string, an array of strings, or token ids)");
        if (v.ValueKind == JsonValueKind.String)
        {
            single = true;
            return [new Input(Text(v, name), null)];
        }
        if (v.ValueKind != JsonValueKind.Array)
            throw ApiException.Invalid(name, $"field \"{name}\" must be a string, an array of strings, or token ids, got {Kind(v.ValueKind)}");
        if (v.GetArrayLength() > 0 && v[0].ValueKind == JsonValueKind.Number)
        {
            single = true;
            return [new Input(null, Ids(v, name))];
        }
        var list = new List<Input>(v.GetArrayLength());
        int i = 0;
        foreach (var e in v.EnumerateArray())
        {
            string field = $"{name}[{i++}]";
            list.Add(e.ValueKind switch
            {
                JsonValueKind.String => new Input(Text(e, field), null),
                JsonValueKind.Array => new Input(null, Ids(e, field)),
                _ => throw ApiException.Invalid(field, $"field \"{field}\" must be a string or an array of token ids, got {Kind(e.ValueKind)}"),
            });
        }
        if (list.Count == 0) throw new ApiException(ErrorKind.Empty, $"field \"{name}\" is empty", name);
        return list;
    }

    /// <summary>A non-empty array of token ids of this model (0..65535).</summary>
    public static int[] Ids(JsonElement array, string name)
    {
        var ids = new int[array.GetArrayLength()];
        if (ids.Length == 0) throw new ApiException(ErrorKind.Empty, $"field \"{name}\" is an empty list of token ids", name);
        int i = 0;
        foreach (var e in array.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out long id) || id < 0)
                throw ApiException.Invalid($"{name}[{i}]", $"field \"{name}[{i}]\" must be a token id (an integer 0..{MaxTokenId}), got {Describe(e)}");
            if (id > MaxTokenId)
                throw new ApiException(ErrorKind.Tokenizer,
                    $"field \"{name}[{i}]\": token id {id} is outside this model's vocabulary (0..{MaxTokenId}): the client tokenized the text with " +
                    "another tokenizer (e.g. tiktoken). Send the text itself: in LangChain's OpenAIEmbeddings set check_embedding_ctx_length=False " +
                    "(Python: also tiktoken_enabled=False); or send ids from this server's /tokenize", $"{name}[{i}]");
            ids[i++] = (int)id;
        }
        return ids;
    }

    /// <summary>A non-empty array of strings.</summary>
    public static List<string> StringArray(JsonElement obj, string name)
    {
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
            throw ApiException.Invalid(name, $"missing field \"{name}\" (an array of strings)");
        if (v.ValueKind != JsonValueKind.Array) throw ApiException.Invalid(name, $"field \"{name}\" must be an array of strings, got {Kind(v.ValueKind)}");
        return Strings(v, name);
    }

    /// <summary>A non-empty array whose items are strings or objects <c>{"text": string}</c> (Cohere/Jina documents).</summary>
    public static List<string> Documents(JsonElement obj, string name)
    {
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
            throw ApiException.Invalid(name, $"missing field \"{name}\" (an array of strings or {{\"text\": ...}} objects)");
        if (v.ValueKind != JsonValueKind.Array)
            throw ApiException.Invalid(name, $"field \"{name}\" must be an array of strings or {{\"text\": ...}} objects, got {Kind(v.ValueKind)}");
        var list = new List<string>(v.GetArrayLength());
        int i = 0;
        foreach (var e in v.EnumerateArray())
        {
            string field = $"{name}[{i}]";
            if (e.ValueKind == JsonValueKind.String) list.Add(Text(e, field));
            else if (e.ValueKind == JsonValueKind.Object)
            {
                if (!e.TryGetProperty("text", out var t) || t.ValueKind != JsonValueKind.String)
                    throw ApiException.Invalid(field + ".text", $"field \"{field}.text\" must be a string");
                list.Add(Text(t, field + ".text"));
            }
            else throw ApiException.Invalid(field, $"field \"{field}\" must be a string or a {{\"text\": ...}} object, got {Kind(e.ValueKind)}");
            i++;
        }
        if (list.Count == 0) throw new ApiException(ErrorKind.Empty, $"field \"{name}\" is empty", name);
        return list;
    }

    private static List<string> Strings(JsonElement array, string name)
    {
        var list = new List<string>(array.GetArrayLength());
        int i = 0;
        foreach (var e in array.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.String)
            {
                string hint = e.ValueKind is JsonValueKind.Number or JsonValueKind.Array ? " (token ids are not accepted here: send text)" : "";
                throw ApiException.Invalid($"{name}[{i}]", $"field \"{name}[{i}]\" must be a string, got {Kind(e.ValueKind)}{hint}");
            }
            list.Add(Text(e, $"{name}[{i}]"));
            i++;
        }
        if (list.Count == 0) throw new ApiException(ErrorKind.Empty, $"field \"{name}\" is empty", name);
        return list;
    }

    /// <summary>
    /// A JSON string's value. Invalid UTF-8 bytes and lone surrogate escapes (<c>"\ud800"</c>) cannot become .NET text:
    /// System.Text.Json throws <see cref="InvalidOperationException"/> for them, answered here as 422 naming the field.
    /// </summary>
    public static string Text(JsonElement v, string field)
    {
        try { return v.GetString()!; }
        catch (InvalidOperationException e)
        {
            throw ApiException.Invalid(field, $"field \"{field}\" is not valid Unicode text (invalid UTF-8 bytes or a lone surrogate escape such as \\ud800): {e.Message}");
        }
    }

    private static string Describe(JsonElement v) => v.ValueKind == JsonValueKind.Number ? v.GetRawText() : Kind(v.ValueKind);

    private static string Kind(JsonValueKind k) => k switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}
