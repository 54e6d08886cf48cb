using Microsoft.Extensions.AI;
using RwkvNative.Extensions.AI;
using RwkvNative.Tests.Reference;

namespace RwkvNative.Tests.ExtensionsAI;

/// <summary>The MEAI generator's encoding and instruction options, and prompt_name / input_type per call.</summary>
public sealed class ExtensionsAIEncodingTests
{
    private static readonly string[] Texts = ["how do cats sleep", "Cats sleep for most of the day."];

    [Fact]
    public async Task Encoding_and_prompt_properties_give_the_api_numbers()
    {
        var model = LoadedFixtures.Get("tiny-bf16", "cpu").Model;
        var enc = new MultiEos { ContextLength = 64, EosChunkSize = 16 };
        using var generator = new RwkvEmbeddingGenerator(model, new RwkvEmbeddingGeneratorOptions { Encoding = enc });

        var query = TaskInstructions.For("Retrieval", null, isQuery: true);
        var options = new EmbeddingGenerationOptions { AdditionalProperties = new() { ["prompt_name"] = "Retrieval", ["input_type"] = "query" } };
        var got = await generator.GenerateAsync(Texts, options);
        var direct = model.Embed(Texts, query.Head, query.Instruction, enc);
        for (int i = 0; i < Texts.Length; i++) Assert.Equal(direct[i], got[i].Vector.ToArray());

        // input_type alone: documents of a retrieval task get no instruction; "task" still picks the head explicitly.
        options = new EmbeddingGenerationOptions { AdditionalProperties = new() { ["input_type"] = "document", ["task"] = "cls" } };
        got = await generator.GenerateAsync(Texts, options);
        direct = model.Embed(Texts, EmbeddingTask.Classification, null, enc);
        for (int i = 0; i < Texts.Length; i++) Assert.Equal(direct[i], got[i].Vector.ToArray());

        options = new EmbeddingGenerationOptions { AdditionalProperties = new() { ["prompt_name"] = "Reranking" } };
        var e = await Assert.ThrowsAsync<ArgumentException>(() => generator.GenerateAsync(Texts, options));
        Assert.Contains("queries or documents", e.Message);
    }
}
