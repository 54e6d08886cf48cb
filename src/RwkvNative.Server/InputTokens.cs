// Tokenizes request inputs and applies --max-input-tokens: refuse (413) or truncate, as the request asks.
using RwkvNative.Server.Json;
using RwkvNative.Tokenizer;

namespace RwkvNative.Server;

internal static class InputTokens
{
    /// <summary>
    /// Tokens of an input to embed: the text's tokens + EOS. When that is longer than <paramref name="max"/>: 413, or with
    /// <paramref name="truncate"/> the first (or, <paramref name="fromLeft"/>, the last) max - 1 text tokens + EOS.
    /// </summary>
    public static int[] ForEmbedding(RwkvTokenizer tokenizer, string text, string field, int max, bool truncate, bool fromLeft)
    {
        var ids = Encode(tokenizer, text, field, addEos: true);
        if (ids.Length <= max) return ids;
        if (!truncate) throw TooLong(field, ids.Length, max);
        var kept = new int[max];
        int textTokens = ids.Length - 1;
        if (fromLeft) Array.Copy(ids, textTokens - (max - 1), kept, 0, max - 1);
        else Array.Copy(ids, 0, kept, 0, max - 1);
        kept[max - 1] = RwkvTokenizer.EosToken;
        return kept;
    }

    /// <summary>
    /// Tokens of one online rerank pair: the template with query and document + EOS. When too long: 413, or with
    /// <paramref name="truncate"/> the document is cut at its end so the instruction, the query and EOS still fit.
    /// </summary>
    public static int[] ForRerank(RwkvTokenizer tokenizer, string query, string document, string field, int max, bool truncate)
    {
        var ids = Encode(tokenizer, Reranker.OnlineText(query, document), field, addEos: true);
        if (ids.Length <= max) return ids;
        if (!truncate) throw TooLong(field, ids.Length, max);
        // Template = head + {document} + tail(query); keep the tokens of head + document up to what the tail leaves room for.
        const string marker = "{document}";
        int at = Reranker.OnlineTemplate.IndexOf(marker, StringComparison.Ordinal);
        var head = Encode(tokenizer, Reranker.OnlineTemplate[..at] + document, field, addEos: false);
        var tail = Encode(tokenizer, Reranker.OnlineTemplate[(at + marker.Length)..].Replace("{query}", query, StringComparison.Ordinal), "query", addEos: false);
        int room = max - 1 - tail.Length;
        if (room < 1)
            throw new ApiException(ErrorKind.Validation,
                $"the query alone takes {tail.Length + 1} tokens of the pair (EOS included), leaving no room for the document within --max-input-tokens {max}; shorten the query", "query");
        int keep = Math.Min(room, head.Length);
        var kept = new int[keep + tail.Length + 1];
        Array.Copy(head, kept, keep);
        tail.CopyTo(kept, keep);
        kept[^1] = RwkvTokenizer.EosToken;
        return kept;
    }

    /// <summary>
    /// Token ids sent by the client (already checked to be this model's ids) + EOS, unless they end in EOS; over
    /// <paramref name="max"/>: 422, or truncated like a text's tokens.
    /// </summary>
    public static int[] FromIds(int[] ids, string field, int max, bool truncate, bool fromLeft)
    {
        int[] withEos = ids[^1] == RwkvTokenizer.EosToken ? ids : [.. ids, RwkvTokenizer.EosToken];
        if (withEos.Length <= max) return withEos;
        if (!truncate) throw TooLong(field, withEos.Length, max);
        var kept = new int[max];
        int body = withEos.Length - 1;
        Array.Copy(withEos, fromLeft ? body - (max - 1) : 0, kept, 0, max - 1);
        kept[max - 1] = RwkvTokenizer.EosToken;
        return kept;
    }

    public static int[] Encode(RwkvTokenizer tokenizer, string text, string field, bool addEos)
    {
        try { return tokenizer.Encode(text, addEos); }
        catch (ArgumentException e) { throw new ApiException(ErrorKind.Tokenizer, $"field \"{field}\" cannot be tokenized: {e.Message}", field); }
    }

    private static ApiException TooLong(string field, int tokens, int max) =>
        new(ErrorKind.Validation, $"input \"{field}\" has {tokens} tokens (EOS included), more than the {max} allowed (--max-input-tokens); shorten it or send \"truncate\": true", field);
}
