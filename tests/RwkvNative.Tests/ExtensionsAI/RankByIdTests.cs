using Microsoft.Extensions.DependencyInjection;
using RwkvNative.Extensions.AI;
using RwkvNative.Retrieval;
using RwkvNative.Store;
using RwkvNative.Tests.Reference;
using RwkvNative.Tests.Retrieval;
using RwkvNative.Tests.Store;

namespace RwkvNative.Tests.ExtensionsAI;

/// <summary><see cref="IReranker.RankByIdAsync"/>: documents of a store, named by id, through DI.</summary>
public sealed class RankByIdTests
{
    private static LoadedFixtures.Loaded Tiny => LoadedFixtures.Get("tiny-bf16", "cpu");
    private const string Query = "What represents the end of a sequence?";

    private static ServiceProvider Provider(string? store) => new ServiceCollection().AddRwkvEmbeddings(Fixtures.PathOf("tiny-bf16.emb.pth"), o =>
    {
        o.Device = "cpu";
        o.RerankerPath = Fixtures.PathOf("tiny-bf16.reranker.pth");
        o.StorePath = store;
    }).BuildServiceProvider();

    [Fact]
    public async Task Ids_rank_as_the_offline_scores_of_their_texts()
    {
        var f = Tiny;
        using var dir = new TempDir();
        DocumentRetrieverTests.Build(f, dir.Path).Store.Dispose();
        await using var sp = Provider(dir.Path);
        var reranker = sp.GetRequiredService<IReranker>();
        var ids = DocumentRetrieverTests.Ids;
        var ranked = await reranker.RankByIdAsync(Query, ids, topN: 4);
        var expected = f.Reranker.Score(Query, f.Reranker.IndexDocuments(DocumentRetrieverTests.Docs))
            .OrderByDescending(s => s.Logit).ThenBy(s => s.Index).Take(4).ToArray();
        Assert.Equal(expected.Select(e => (e.Index, e.Score, e.Logit)), ranked.Select(r => (r.Index, r.Score, r.Logit)));

        var e = await Assert.ThrowsAsync<UnknownDocumentException>(() => reranker.RankByIdAsync(Query, [ids[0], "gone"]));
        Assert.Contains("'gone'", e.Message);
        Assert.Empty(await reranker.RankByIdAsync(Query, []));
        Assert.Equal(f.Model.Identity, sp.GetRequiredService<IDocumentStates>().ModelIdentity);
    }

    [Fact]
    public async Task Without_a_store_ranking_by_id_says_how_to_configure_one()
    {
        await using var sp = Provider(null);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => sp.GetRequiredService<IReranker>().RankByIdAsync(Query, ["a"]));
        Assert.Contains("StorePath", e.Message);
        Assert.Throws<ArgumentException>(() => new ServiceCollection().AddRwkvEmbeddings(Fixtures.PathOf("tiny-bf16.emb.pth"), o => o.StorePath = "x"));
    }
}
