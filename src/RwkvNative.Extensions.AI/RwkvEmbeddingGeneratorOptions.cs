namespace RwkvNative.Extensions.AI;

/// <summary>How <see cref="RwkvEmbeddingGenerator"/> embeds.</summary>
public sealed record RwkvEmbeddingGeneratorOptions
{
    /// <summary>Head used when a call does not name one (default retrieval).</summary>
    public EmbeddingTask Task { get; init; } = EmbeddingTask.Retrieval;

    /// <summary>L2-normalise every embedding (default false: the model's output as <see cref="EmbeddingModel.Embed(string, EmbeddingTask)"/> returns it).</summary>
    public bool Normalize { get; init; }

    /// <summary>Model id reported in metadata and on each embedding (default <c>rwkv-embedding</c>).</summary>
    public string? ModelId { get; init; }

    /// <summary>How texts become token sequences (null: the model's <see cref="ModelOptions.Encoding"/>, single EOS by default);
    /// <c>new MultiEos()</c> is the paper's evaluation encoding.</summary>
    public TextEncoding? Encoding { get; init; }

    /// <summary>Instruction for every text when a call names none (upstream's <c>"Instruct: {instruction}\nQuery: {text}"</c>); null: none.</summary>
    public string? Instruction { get; init; }
}
