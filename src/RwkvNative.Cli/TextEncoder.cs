namespace RwkvNative.Cli;

/// <summary>How a command turns a text line into tokens: instruction, encoding, and the head its embeddings use.</summary>
internal sealed record TextEncoder(TextEncoding Encoding, string? Instruction, EmbeddingTask Head)
{
    public int[] Tokens(EmbeddingModel model, string text) => model.EncodeText(text, Instruction, Encoding);
}
