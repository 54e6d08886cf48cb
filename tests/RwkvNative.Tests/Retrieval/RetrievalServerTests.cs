using System.Net;
using System.Text.Json;
using RwkvNative.Retrieval;
using RwkvNative.Server;
using RwkvNative.Store;
using RwkvNative.Tests.Reference;
using RwkvNative.Tests.Server;
using RwkvNative.Tests.Store;

namespace RwkvNative.Tests.Retrieval;

/// <summary><c>/rerank</c> by document ids and <c>/search</c> over a store and an exact index (in-process server).</summary>
public sealed class RetrievalServerTests : IAsyncLifetime
{
    private const string Query = "What represents the end of a sequence?";
    private static LoadedFixtures.Loaded Tiny => LoadedFixtures.Get("tiny-bf16", "cpu");
    private readonly TempDir _dir = new();
    private DocumentStateStore? _store;
    private DocumentRetriever? _retriever;
    private ServerHarness? _server;

    public async ValueTask InitializeAsync()
    {
        var f = Tiny;
        var (store, index) = DocumentRetrieverTests.Build(f, _dir.Path);
        _store = store;
        _retriever = new DocumentRetriever(f.Reranker, new StoreDocumentStates(store), index);
        _server = await StartAsync(_retriever);
    }

    private static Task<ServerHarness> StartAsync(DocumentRetriever? retriever) =>
        ServerHarness.StartAsync(loopback: false, new RwkvServerOptions { MaxClientBatchSize = 8 }, retriever: retriever);

    public async ValueTask DisposeAsync()
    {
        if (_server != null) await _server.DisposeAsync();
        _store?.Dispose();
        _dir.Dispose();
    }

    private static Task<(HttpStatusCode Status, JsonElement Body)> Post(ServerHarness server, string path, object body) =>
        server.PostAsync(path, JsonSerializer.Serialize(body));

    [Fact]
    public async Task Rerank_by_ids_scores_the_cached_states_best_first()
    {
        var f = Tiny;
        string[] ids = [DocumentRetrieverTests.Ids[3], DocumentRetrieverTests.Ids[0], DocumentRetrieverTests.Ids[5]];
        var (status, body) = await Post(_server!, "/rerank", new { query = Query, ids });
        Assert.Equal(HttpStatusCode.OK, status);
        var expected = f.Reranker.Score(Query, f.Reranker.IndexDocuments([.. ids.Select(id => DocumentRetrieverTests.Docs[Array.IndexOf(DocumentRetrieverTests.Ids, id)])]))
            .OrderByDescending(s => s.Score).ThenBy(s => s.Index).ToArray();
        var got = body.EnumerateArray().ToArray();
        Assert.Equal(expected.Select(e => e.Index), got.Select(g => g.GetProperty("index").GetInt32()));
        Assert.Equal(expected.Select(e => ids[e.Index]), got.Select(g => g.GetProperty("id").GetString()));
        Assert.Equal(expected.Select(e => e.Score), got.Select(g => g.GetProperty("score").GetSingle()));

        var (_, raw) = await Post(_server!, "/rerank", new { query = Query, ids, raw_scores = true });
        Assert.Equal(expected.Select(e => e.Logit), raw.EnumerateArray().Select(g => g.GetProperty("score").GetSingle()));

        // Texts still go to TEI's text reranking on the same route.
        var (textStatus, textBody) = await Post(_server!, "/rerank", new { query = Query, texts = new[] { "a", "b" } });
        Assert.Equal(HttpStatusCode.OK, textStatus);
        Assert.Equal(2, textBody.GetArrayLength());
    }

    [Fact]
    public async Task An_unknown_id_is_a_422_naming_it_and_its_field()
    {
        var (status, body) = await Post(_server!, "/rerank", new { query = Query, ids = new[] { DocumentRetrieverTests.Ids[0], "no-such-doc" } });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        var message = body.GetProperty("error").GetString()!;
        Assert.Contains("'no-such-doc'", message);
        Assert.Contains("ids[1]", message);

        (status, body) = await Post(_server!, "/rerank", new { query = Query, ids = new[] { "a" }, texts = new[] { "b" } });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Contains("not both", body.GetProperty("error").GetString());
        (status, _) = await Post(_server!, "/rerank", new { query = Query, ids = Enumerable.Repeat(DocumentRetrieverTests.Ids[0], 9).ToArray() });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status); // TEI: more than max-client-batch-size is Validation (422)
        (status, _) = await Post(_server!, "/rerank", new { query = Query, ids = new[] { 1, 2 } });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
    }

    [Fact]
    public async Task Search_answers_as_the_retriever()
    {
        var expected = await _retriever!.SearchAsync(Query, 4, 3);
        var (status, body) = await Post(_server!, "/search", new { query = Query, top_k = 4, top_n = 3 });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("tiny", body.GetProperty("model").GetString());
        var results = body.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(expected.Select(h => h.Id), results.Select(r => r.GetProperty("id").GetString()));
        Assert.Equal(expected.Select(h => h.Logit), results.Select(r => r.GetProperty("logit").GetSingle()));
        Assert.Equal(expected.Select(h => h.Score), results.Select(r => r.GetProperty("score").GetSingle()));
        Assert.Equal(expected.Select(h => h.Similarity), results.Select(r => r.GetProperty("similarity").GetDouble()));
        Assert.Equal(expected.Select(h => h.VectorRank), results.Select(r => r.GetProperty("vector_rank").GetInt32()));

        (status, body) = await Post(_server!, "/search", new { query = Query, top_k = 0 });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Contains("top_k", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Without_a_store_ids_and_search_say_how_to_start_the_server()
    {
        await using var server = await StartAsync(null);
        var (status, body) = await Post(server, "/rerank", new { query = Query, ids = new[] { "a" } });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("--store", body.GetProperty("error").GetString());
        (status, body) = await Post(server, "/search", new { query = Query });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("--store", body.GetProperty("error").GetString());
    }
}
