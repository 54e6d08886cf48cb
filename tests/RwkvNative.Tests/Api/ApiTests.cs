using RwkvNative.Backends;
using RwkvNative.Checkpoints;
using RwkvNative.Model;
using RwkvNative.Tests.Reference;

namespace RwkvNative.Tests.Api;

/// <summary>The public API's contracts beyond the reference numbers: persistence, pairing, empty input, ranking.</summary>
public sealed class ApiTests
{
    private static LoadedFixtures.Loaded Tiny => LoadedFixtures.Get("tiny-bf16", "cpu");
    private static LoadedFixtures.Loaded Mini => LoadedFixtures.Get("mini-fp16", "cpu");

    [Fact]
    public void Templates_are_filled_once_so_values_holding_placeholders_stay_as_written()
    {
        const string head = "Instruct: Given a query, retrieve documents that answer the query\nDocument: ";
        Assert.Equal(head + "a {query} b\nQuery: Q {document}", Reranker.OnlineText("Q {document}", "a {query} b"));
        Assert.Equal(head + "{document}{query}\n", Reranker.DocumentText("{document}{query}"));
        Assert.Equal("Query: {query}{document}", Reranker.QueryText("{query}{document}"));
        Assert.Equal(head + "\nQuery: ", Reranker.OnlineText("", ""));
    }

    [Fact]
    public void Document_states_survive_save_and_load()
    {
        var f = Tiny;
        string[] docs = ["The EOS token is used to mark the end of a sentence.", "Apples are red and delicious fruits."];
        var states = f.Reranker.IndexDocuments(docs);
        using var temp = new TempDir();
        var path = temp.File("states.safetensors");
        DocumentState.Save(path, states);
        var loaded = DocumentState.Load(path, f.Model);
        Assert.Equal(states.Length, loaded.Length);
        for (int i = 0; i < states.Length; i++)
        {
            Assert.Equal(states[i].State.Wkv, loaded[i].State.Wkv);
            Assert.Equal(states[i].State.Shift, loaded[i].State.Shift);
        }
        var a = f.Reranker.Score("What represents the end of a sequence?", states);
        var b = f.Reranker.Score("What represents the end of a sequence?", loaded);
        Assert.Equal(a, b);

        // Another model's states are refused with a message saying what to do.
        var e = Assert.Throws<CheckpointException>(() => DocumentState.Load(path, Mini.Model));
        Assert.Contains("another model", e.Message);
    }

    [Fact]
    public void States_of_another_model_are_refused_when_scoring()
    {
        var states = Mini.Reranker.IndexDocuments(["doc"]);
        var e = Assert.Throws<ArgumentException>(() => Tiny.Reranker.Score("q", states));
        Assert.Contains("another model", e.Message);
    }

    [Fact]
    public void A_reranker_for_another_width_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => Reranker.Load(Fixtures.PathOf("mini-fp16.reranker.pth"), Tiny.Model));
        Assert.Contains("64 wide", e.Message);
        Assert.Contains("128 wide", e.Message);
    }

    [Fact]
    public void Empty_inputs_give_empty_results_or_clear_errors()
    {
        var m = Tiny.Model;
        Assert.Empty(m.Embed(Array.Empty<string>()));
        Assert.Empty(Tiny.Reranker.Score("q", Array.Empty<string>()));
        Assert.Empty(Tiny.Reranker.Score("q", Array.Empty<DocumentState>()));
        // An empty text still gets EOS, so it has an embedding; an empty token list does not.
        Assert.Equal(m.Config.Channels, m.Embed("").Length);
        var e = Assert.Throws<InvalidOperationException>(() => m.EmbedTokens([Array.Empty<int>()]));
        Assert.Contains("no EOS", e.Message);
        var empty = m.Forward([Array.Empty<int>()]);
        Assert.All(empty.State.Wkv, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Rank_sorts_by_score_and_keeps_indices()
    {
        string[] docs = ["alpha", "beta gamma", "delta", "epsilon zeta eta"];
        var scores = Tiny.Reranker.Score("query", docs);
        var ranked = Tiny.Reranker.Rank("query", docs, topN: 3);
        Assert.Equal(3, ranked.Length);
        var expected = scores.OrderByDescending(s => s.Logit).Take(3).ToArray();
        Assert.Equal(expected, ranked);
        Assert.All(scores, s => Assert.Equal(1f / (1f + MathF.Exp(-s.Logit)), s.Score, 1e-6f));
    }

    [Fact]
    public void Batching_inside_the_model_does_not_change_results()
    {
        var path = Fixtures.PathOf("tiny-bf16.emb.pth");
        using var small = EmbeddingModel.Load(path, new ModelOptions { Device = "cpu", MaxBatchTokens = 5 });
        string[] texts = ["one", "two words", "a somewhat longer sentence than the others", "四"];
        var a = small.Embed(texts);
        var b = Tiny.Model.Embed(texts);
        for (int i = 0; i < texts.Length; i++) Approx.AssertClose(b[i], a[i], 1e-6);
        Assert.Equal(small.Identity, Tiny.Model.Identity);
    }

    [Fact]
    public void The_pass_size_is_the_backends_unless_the_options_set_one()
    {
        var path = Fixtures.PathOf("tiny-bf16.emb.pth");
        Assert.Null(new ModelOptions().MaxBatchTokens);
        Assert.Equal(Tiny.Model.Backend.TokensPerPass, Tiny.Model.PassTokens);
        Assert.Equal(4096, Tiny.Model.PassTokens);
        using var set = EmbeddingModel.Load(path, new ModelOptions { Device = "cpu", MaxBatchTokens = 5 });
        Assert.Equal(5, set.PassTokens);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => EmbeddingModel.Load(path, new ModelOptions { Device = "cpu", MaxBatchTokens = 0 }));
        Assert.Contains("MaxBatchTokens must be positive", e.Message);
    }

    [Fact]
    public void Tasks_parse_from_cli_and_upstream_names()
    {
        Assert.Equal(EmbeddingTask.Retrieval, EmbeddingTasks.Parse("retr"));
        Assert.Equal(EmbeddingTask.Classification, EmbeddingTasks.Parse("[CLS]"));
        Assert.Equal(EmbeddingTask.Similarity, EmbeddingTasks.Parse("STS"));
        Assert.Throws<ArgumentException>(() => EmbeddingTasks.Parse("sum"));
    }

    [Fact]
    public void Config_is_inferred_from_the_checkpoint()
    {
        Assert.Equal(new ModelConfig(3, 128, 32, 32, 32, 64), Tiny.Model.Config);
        Assert.Equal([0, 2], Tiny.Reranker.Config.LayerIndices);
        Assert.Equal("reranker.emb.weight", Tiny.Reranker.Config.KeyName);
        Assert.Equal(new ModelConfig(2, 64, 64, 32, 32, 32), Mini.Model.Config);
        Assert.Equal([0, 1], Mini.Reranker.Config.LayerIndices);
        Assert.Equal("reranker.token.weight", Mini.Reranker.Config.KeyName);
    }

    [Fact]
    public void Unknown_devices_are_refused_with_the_choices()
    {
        var e = Assert.Throws<ArgumentException>(() => BackendRegistry.Resolve("tpu", out _));
        Assert.Contains("auto, cpu, cuda", e.Message);
    }
}
