using System.Text.Json;
using RwkvNative.Tokenizer;

namespace RwkvNative.Server.Json;

/// <summary>
/// The encoding fields an embedding request may carry, read in one place so that each route only asks for the result:
/// <c>"encoding": "single-eos"|"multi-eos"</c> (default: the model's), <c>"ctx_len"</c>, <c>"eos_chunk_size"</c>, <c>"pad16"</c>
/// (multi-eos only), and the instruction, from <c>"instruction"</c> or from <c>"prompt_name"</c> (an MTEB task type, optionally
/// <c>Type:TaskName</c>) with <c>"input_type"</c> (<c>query</c>/<c>document</c>, as Cohere and Voyage name it).
/// </summary>
/// <param name="Encoding">How texts become token sequences.</param>
/// <param name="Instruction">The instruction description, or null.</param>
/// <param name="Head">The head the prompt implies (null: none; an explicit <c>"task"</c> wins).</param>
internal sealed record EncodingRequest(TextEncoding Encoding, string? Instruction, EmbeddingTask? Head)
{
    public static EncodingRequest Read(JsonElement root, TextEncoding modelDefault)
    {
        var name = RequestReader.OptionalString(root, "encoding");
        TextEncoding encoding = modelDefault;
        if (name != null)
        {
            try { encoding = TextEncoding.Parse(name); }
            catch (ArgumentException) { throw ApiException.Invalid("encoding", $"field \"encoding\" must be \"single-eos\" or \"multi-eos\", got \"{name}\""); }
        }
        int? ctx = RequestReader.OptionalInt(root, "ctx_len", min: 1), chunk = RequestReader.OptionalInt(root, "eos_chunk_size", min: 1);
        bool hasPad = root.TryGetProperty("pad16", out var padValue) && padValue.ValueKind != JsonValueKind.Null;
        if (encoding is MultiEos multi)
        {
            multi = multi with { ContextLength = ctx ?? multi.ContextLength, EosChunkSize = chunk ?? multi.EosChunkSize, Pad16 = RequestReader.Bool(root, "pad16", multi.Pad16) };
            if (multi.EosChunkSize > multi.ContextLength)
                throw ApiException.Invalid("eos_chunk_size", $"field \"eos_chunk_size\" ({multi.EosChunkSize}) must not exceed \"ctx_len\" ({multi.ContextLength})");
            if (multi.ContextLength > 1 << 24) throw ApiException.Invalid("ctx_len", $"field \"ctx_len\" must be at most {1 << 24}, got {multi.ContextLength}");
            encoding = multi;
        }
        else if (ctx != null || chunk != null || hasPad)
            throw ApiException.Invalid(ctx != null ? "ctx_len" : chunk != null ? "eos_chunk_size" : "pad16",
                "fields \"ctx_len\", \"eos_chunk_size\" and \"pad16\" apply to \"encoding\": \"multi-eos\" only");

        var instruction = RequestReader.OptionalString(root, "instruction");
        string? prompt = RequestReader.OptionalString(root, "prompt_name"), input = RequestReader.OptionalString(root, "input_type");
        if (instruction != null && prompt != null) throw ApiException.Invalid("instruction", "give either \"instruction\" or \"prompt_name\", not both");
        TaskPrompt? p;
        try { p = TaskInstructions.ForRequest(prompt, input); }
        catch (ArgumentException e)
        {
            string field = prompt != null && e.ParamName != "inputType" ? "prompt_name" : "input_type";
            throw ApiException.Invalid(field, $"field \"{field}\": {UserMessage(e)}");
        }
        return p == null ? new EncodingRequest(encoding, instruction, null) : new EncodingRequest(encoding, p.Instruction ?? instruction, p.Head);
    }

    /// <summary>
    /// The tokens of one input. Single EOS: the text's tokens + EOS, held to <paramref name="max"/> as before. Other encodings: the text's
    /// tokens are held to <paramref name="max"/> (refused, or cut with truncate), then encoded (which adds EOS tokens and the pad).
    /// </summary>
    public int[] Tokens(RwkvTokenizer tokenizer, string text, string field, int max, bool truncate, bool fromLeft)
    {
        text = TaskInstructions.Apply(Instruction, text);
        if (Encoding is SingleEos) return InputTokens.ForEmbedding(tokenizer, text, field, max, truncate, fromLeft);
        int[] ids;
        try { ids = tokenizer.Encode(text); }
        catch (ArgumentException e) { throw new ApiException(ErrorKind.Tokenizer, $"field \"{field}\" cannot be tokenized: {UserMessage(e)}", field); }
        if (ids.Length > max)
        {
            if (!truncate)
                throw new ApiException(ErrorKind.Validation, $"input \"{field}\" has {ids.Length} tokens, more than the {max} allowed (--max-input-tokens); shorten it or send \"truncate\": true", field);
            ids = fromLeft ? ids[^max..] : ids[..max];
        }
        return Encoding.Tokens(ids);
    }

    private static string UserMessage(ArgumentException e)
    {
        int i = e.Message.IndexOf(" (Parameter '", StringComparison.Ordinal);
        return i < 0 ? e.Message : e.Message[..i];
    }
}
