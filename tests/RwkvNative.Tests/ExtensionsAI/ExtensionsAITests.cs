using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using RwkvNative.Backends;
using RwkvNative.Extensions.AI;
using RwkvNative.Tests.Reference;

namespace RwkvNative.Tests.ExtensionsAI;

/// <summary>The Microsoft.Extensions.AI adapter and the reranking interface, used through DI and the interfaces only.</summary>
public sealed class ExtensionsAITests
{
    private static LoadedFixtures.Loaded Tiny => LoadedFixtures.Get("tiny-bf16", "cpu");

    private static readonly string[] Texts = ["The EOS token is used to mark the end of a sentence.", "Apples are red and delicious fruits.", "Paris is in France."];

    private static ServiceProvider Provider(Action<RwkvEmbeddingsOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddRwkvEmbeddings(Fixtures.PathOf("tiny-bf16.emb.pth"), o =>
        {
            o.Device = "cpu";
            o.RerankerPath = Fixtures.PathOf("tiny-bf16.reranker.pth");
            o.ModelId = "tiny";
            configure?.Invoke(o);
        });
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task The_generator_from_di_returns_the_models_embeddings_usage_and_metadata()
    {
        await using var sp = Provider();
        var generator = sp.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
        var result = await generator.GenerateAsync(Texts);
        var direct = Tiny.Model.Embed(Texts);
        Assert.Equal(Texts.Length, result.Count);
        for (int i = 0; i < Texts.Length; i++)
        {
            Assert.Equal(direct[i], result[i].Vector.ToArray());
            Assert.Equal("tiny", result[i].ModelId);
            Assert.NotNull(result[i].CreatedAt);
        }
        long tokens = Texts.Sum(t => (long)Tiny.Model.Tokenizer.Encode(t, addEos: true).Length);
        Assert.Equal(tokens, result.Usage!.InputTokenCount);
        Assert.Equal(tokens, result.Usage.TotalTokenCount);

        var meta = generator.GetService<EmbeddingGeneratorMetadata>()!;
        Assert.Equal("rwkvnative", meta.ProviderName);
        Assert.Equal("tiny", meta.DefaultModelId);
        Assert.Equal(Tiny.Model.Config.Channels, meta.DefaultModelDimensions);
        Assert.Same(sp.GetRequiredService<EmbeddingModel>(), generator.GetService<EmbeddingModel>());
        Assert.Null(generator.GetService<EmbeddingModel>("some key"));

        // The extension methods of Microsoft.Extensions.AI work over it.
        var one = await generator.GenerateVectorAsync(Texts[1]);
        Assert.Equal(direct[1], one.ToArray());
        Assert.Empty(await generator.GenerateAsync(Array.Empty<string>()));
    }

    [Fact]
    public async Task A_call_selects_the_task_head_and_dimensions_are_never_changed()
    {
        await using var sp = Provider(o => o.Normalize = true);
        var generator = sp.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
        var cls = await generator.GenerateAsync([Texts[0]], new EmbeddingGenerationOptions { AdditionalProperties = new() { ["task"] = "cls" } });
        var sts = await generator.GenerateAsync([Texts[0]], new EmbeddingGenerationOptions { AdditionalProperties = new() { ["task"] = EmbeddingTask.Similarity } });
        var wantCls = Tiny.Model.Embed(Texts[0], EmbeddingTask.Classification);
        var wantSts = Tiny.Model.Embed(Texts[0], EmbeddingTask.Similarity);
        double norm = Math.Sqrt(wantCls.Sum(x => (double)x * x));
        var got = cls[0].Vector.ToArray();
        for (int i = 0; i < got.Length; i++) Assert.Equal(wantCls[i] / norm, got[i], 6);
        Assert.Equal(1.0, Math.Sqrt(sts[0].Vector.ToArray().Sum(x => (double)x * x)), 5);
        Assert.NotEqual(wantCls, wantSts);

        var same = await generator.GenerateAsync([Texts[0]], new EmbeddingGenerationOptions { Dimensions = Tiny.Model.Config.Channels });
        Assert.Equal(Tiny.Model.Config.Channels, same[0].Dimensions);
        await Assert.ThrowsAsync<ArgumentException>(() => generator.GenerateAsync([Texts[0]], new EmbeddingGenerationOptions { Dimensions = 32 }));
        await Assert.ThrowsAsync<ArgumentException>(() => generator.GenerateAsync([Texts[0]], new EmbeddingGenerationOptions { AdditionalProperties = new() { ["task"] = "summarize" } }));
    }

    [Fact]
    public async Task The_reranker_from_di_ranks_best_first_with_top_n()
    {
        await using var sp = Provider();
        var reranker = sp.GetRequiredService<IReranker>();
        const string query = "What represents the end of a sequence?";
        var expected = Tiny.Reranker.Score(query, Texts);
        var all = await reranker.RankAsync(query, Texts);
        Assert.Equal(Texts.Length, all.Count);
        Assert.Equal(Enumerable.Range(0, Texts.Length), all.Select(r => r.Index).Order());
        for (int k = 0; k < all.Count; k++)
        {
            Assert.Equal(expected[all[k].Index].Score, all[k].Score);
            Assert.Equal(expected[all[k].Index].Logit, all[k].Logit);
            if (k > 0) Assert.True(all[k - 1].Logit >= all[k].Logit);
        }
        var top = await reranker.RankAsync(query, Texts, topN: 2);
        Assert.Equal(all.Take(2), top);
        Assert.Empty(await reranker.RankAsync(query, Texts, topN: 0));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => reranker.RankAsync(query, Texts, topN: -1));
    }

    [Fact]
    public async Task The_container_disposes_what_it_loaded_but_not_a_model_it_was_given()
    {
        EmbeddingModel loaded;
        await using (var sp = Provider())
        {
            loaded = sp.GetRequiredService<EmbeddingModel>();
            sp.GetRequiredService<IReranker>();
        }
        Assert.Throws<ObjectDisposedException>(() => loaded.Embed("x"));

        var services = new ServiceCollection().AddRwkvEmbeddings(Tiny.Model, Tiny.Reranker);
        await using (var sp = services.BuildServiceProvider())
        {
            var generator = sp.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
            Assert.Equal(Tiny.Model.Embed("x"), (await generator.GenerateVectorAsync("x")).ToArray());
            Assert.IsType<RwkvReranker>(sp.GetRequiredService<IReranker>());
        }
        Assert.Equal(Tiny.Model.Config.Channels, Tiny.Model.Embed("still usable").Length);
    }
}
