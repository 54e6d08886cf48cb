using RwkvNative.Retrieval;
using RwkvNative.Store;
using RwkvNative.Tests.Reference;
using RwkvNative.Tests.Store;

namespace RwkvNative.Tests.Retrieval;

public sealed class DocumentRetrieverTests
{
    private static LoadedFixtures.Loaded Tiny => LoadedFixtures.Get("tiny-bf16", "cpu");

    internal static readonly string[] Docs = DocumentStateStoreTests.Docs;
    internal static readonly string[] Ids = DocumentStateStoreTests.Ids;
    private const string Query = "What represents the end of a sequence?";

    /// <summary>A store holding every document's state and an exact index holding every document's embedding.</summary>
    internal static (DocumentStateStore Store, ExactVectorIndex Index) Build(LoadedFixtures.Loaded f, string dir)
    {
        var states = f.Reranker.IndexDocuments(Docs);
        var embeddings = f.Model.Embed(Docs, EmbeddingTask.Retrieval);
        using (var w = DocumentStateStore.OpenForWriting(dir, f.Model))
            w.Append([.. Ids.Select((id, i) => new DocumentStateEntry(id, ContentHash.Of(Docs[i]), states[i], embeddings[i]))]);
        var index = new ExactVectorIndex(f.Model);
        index.Upsert([.. Ids.Select((id, i) => new VectorRecord(id, ContentHash.Of(Docs[i]).ToString(), embeddings[i]))]);
        return (DocumentStateStore.Open(dir, f.Model), index);
    }

    [Fact]
    public void Scores_by_id_equal_offline_scores_of_the_texts_in_request_order()
    {
        var f = Tiny;
        using var dir = new TempDir();
        var (store, index) = Build(f, dir.Path);
        using var _ = store;
        var retriever = new DocumentRetriever(f.Reranker, new StoreDocumentStates(store), index);
        int[] pick = [4, 0, 2, 0];
        var byId = retriever.ScoreByIds(Query, [.. pick.Select(i => Ids[i])]);
        var fresh = f.Reranker.Score(Query, f.Reranker.IndexDocuments([.. pick.Select(i => Docs[i])]));
        Assert.Equal(fresh, byId);
        Assert.Equal([0, 1, 2, 3], byId.Select(s => s.Index));
    }

    [Fact]
    public void An_unknown_id_is_named_in_the_exception()
    {
        var f = Tiny;
        using var dir = new TempDir();
        var (store, index) = Build(f, dir.Path);
        using var _ = store;
        var retriever = new DocumentRetriever(f.Reranker, new StoreDocumentStates(store), index);
        var e = Assert.Throws<UnknownDocumentException>(() => retriever.ScoreByIds(Query, [Ids[0], "no-such-doc"]));
        Assert.Equal("no-such-doc", e.Id);
        Assert.Contains("'no-such-doc'", e.Message);
        Assert.Contains(store.Directory, e.Message);
    }

    [Fact]
    public async Task Search_reranks_the_k_nearest_by_their_cached_states()
    {
        var f = Tiny;
        using var dir = new TempDir();
        var (store, index) = Build(f, dir.Path);
        using var _ = store;
        var retriever = new DocumentRetriever(f.Reranker, new StoreDocumentStates(store), index);
        var hits = await retriever.SearchAsync(Query, k: 4);
        Assert.Equal(4, hits.Length);

        // The candidates are the 4 nearest by cosine of the model's embeddings ...
        var q = f.Model.Embed(Query);
        var docEmb = f.Model.Embed(Docs);
        var nearest = Enumerable.Range(0, Docs.Length).OrderByDescending(i => EmbeddingMath.Cosine(q, docEmb[i])).Take(4).ToArray();
        Assert.Equal(nearest.Select(i => Ids[i]).Order(StringComparer.Ordinal), hits.Select(h => h.Id).Order(StringComparer.Ordinal));
        foreach (var h in hits)
            Assert.Equal(EmbeddingMath.Cosine(q, docEmb[Array.IndexOf(Ids, h.Id)]), h.Similarity, 1e-5);
        Assert.Equal([0, 1, 2, 3], hits.Select(h => h.VectorRank).Order());

        // ... ordered by the reranker's offline logits of those documents.
        var offline = f.Reranker.Score(Query, f.Reranker.IndexDocuments([.. nearest.Select(i => Docs[i])]));
        var expected = nearest.Zip(offline).OrderByDescending(p => p.Second.Logit).Select(p => (Ids[p.First], p.Second.Logit)).ToArray();
        Assert.Equal(expected, hits.Select(h => (h.Id, h.Logit)));
        Assert.All(hits, h => Assert.Equal(EmbeddingMath.Sigmoid(h.Logit), h.Score));

        var top2 = await retriever.SearchAsync(Query, k: 4, topN: 2);
        Assert.Equal(hits[..2], top2);
    }

    [Fact]
    public void Parts_of_another_model_are_refused()
    {
        var tiny = Tiny;
        var mini = LoadedFixtures.Get("mini-fp16", "cpu");
        using var dir = new TempDir();
        var (store, _) = Build(tiny, dir.Path);
        using var s = store;
        var e = Assert.Throws<ArgumentException>(() => new DocumentRetriever(mini.Reranker, new StoreDocumentStates(store)));
        Assert.Contains("another model", e.Message);
        e = Assert.Throws<ArgumentException>(() => new DocumentRetriever(tiny.Reranker, new StoreDocumentStates(store), new ExactVectorIndex(mini.Model)));
        Assert.Contains("vector index", e.Message);
    }

    [Fact]
    public void The_default_index_built_from_the_store_equals_one_built_by_hand()
    {
        var f = Tiny;
        using var dir = new TempDir();
        var (store, index) = Build(f, dir.Path);
        using var _ = store;
        var fromStore = ExactVectorIndex.FromStore(store, f.Model.Config.Channels);
        Assert.Equal(index.Count, fromStore.Count);
        var q = f.Model.Embed(Query);
        Assert.Equal(index.Search(q, 6), fromStore.Search(q, 6));
    }

    [Fact]
    public async Task Search_refuses_a_state_computed_from_other_text_than_its_embedding()
    {
        var f = Tiny;
        using var dir = new TempDir();
        var (store, index) = Build(f, dir.Path);
        using var _ = store;
        // The index learns a new text for document 0; the store still holds the state of the old text.
        var changed = Docs[0] + " Changed.";
        index.Upsert([new VectorRecord(Ids[0], ContentHash.Of(changed).ToString(), f.Model.Embed(Query))]);
        var retriever = new DocumentRetriever(f.Reranker, new StoreDocumentStates(store), index);
        var e = await Assert.ThrowsAsync<StaleDocumentStateException>(() => retriever.SearchAsync(Query, k: 2));
        Assert.Equal(Ids[0], e.DocumentId);
        Assert.Contains("re-index", e.Message);
    }
}
