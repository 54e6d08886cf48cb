// The request fields every embedding route reads through EncodingRequest (instruction, prompt, encoding).
using System.Text.Json.Serialization;

namespace RwkvNative.Server.Json.Requests;

/// <summary>How inputs become tokens: the instruction or prompt, the encoding and its parameters.</summary>
internal abstract class EncodingFields
{
    /// <summary>Instruction wrapped around each text: <c>Instruct: {instruction}\nQuery: {text}</c>. Not with <c>prompt_name</c>.</summary>
    public string? Instruction { get; init; }

    /// <summary>TEI's prompt name: an MTEB task type (<c>Retrieval</c>, <c>Classification</c>, <c>Clustering</c>, <c>STS</c>, ...), optionally <c>Type:TaskName</c>; it picks the instruction and the head.</summary>
    public string? PromptName { get; init; }

    /// <summary>Cohere/Voyage input type: <c>query</c> or <c>document</c> (<c>search_query</c>, <c>search_document</c>, <c>passage</c>), or a task type.</summary>
    public string? InputType { get; init; }

    /// <summary>The task head: <c>retr</c>, <c>cls</c> or <c>sts</c> (default: the one the prompt implies, else <c>retr</c>).</summary>
    public string? Task { get; init; }

    /// <summary><c>single-eos</c> (default: the model's) or <c>multi-eos</c> (upstream's MTEB encoding).</summary>
    public string? Encoding { get; init; }

    /// <summary>multi-eos only: context length (default 2048).</summary>
    public int? CtxLen { get; init; }

    /// <summary>multi-eos only: tokens between EOS tokens (default 512).</summary>
    public int? EosChunkSize { get; init; }

    /// <summary>multi-eos only: left-pad to a multiple of 16 (default true).</summary>
    [JsonPropertyName("pad16")]
    public bool? Pad16 { get; init; }
}
