using System.Text;
using System.Text.Json;
using RwkvNative.Retrieval;
using RwkvNative.Store;
using RwkvNative.Tests.Cli;
using RwkvNative.Tests.Reference;
using RwkvNative.Tests.Store;

namespace RwkvNative.Tests.Retrieval;

/// <summary><c>rwkv-emb index --vectors</c> then <c>rwkv-emb search</c> as child processes, with a file index and with PostgreSQL.</summary>
public sealed class SearchCliTests
{
    private static LoadedFixtures.Loaded Tiny => LoadedFixtures.Get("tiny-bf16", "cpu");
    private static readonly string Model = Fixtures.PathOf("tiny-bf16.emb.pth");
    private static readonly string Rr = Fixtures.PathOf("tiny-bf16.reranker.pth");
    private const string Query = "What represents the end of a sequence?";

    private static string Jsonl(IEnumerable<(string Id, string Text)> docs)
    {
        var sb = new StringBuilder();
        foreach (var (id, text) in docs) sb.Append(JsonSerializer.Serialize(new Dictionary<string, string> { ["id"] = id, ["text"] = text })).Append('\n');
        return sb.ToString();
    }

    private static (string Id, string Text)[] Docs => [.. DocumentRetrieverTests.Ids.Zip(DocumentRetrieverTests.Docs)];

    private static CliRunner.Result Index(string input, string store, string vectors, params string[] more) =>
        CliRunner.Run(input, ["index", "--model", Model, "--reranker", Rr, "--out", store, "--vectors", vectors, "--device", "cpu", "--batch-size", "4", .. more]);

    private static CliRunner.Result Search(string store, string vectors, params string[] more) =>
        CliRunner.Run("", ["search", "--model", Model, "--reranker", Rr, "--store", store, "--vectors", vectors, "--query", Query, "--device", "cpu", .. more]);

    private static bool[] Flags(CliRunner.Result r, string name) => [.. r.Lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty(name).GetBoolean())];

    /// <summary>Indexes the documents, checks re-runs and a changed text, searches; returns the search output lines.</summary>
    private static string[] IndexAndSearch(string store, string vectors, params string[] more)
    {
        var first = Index(Jsonl(Docs), store, vectors, more);
        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.All(Flags(first, "embedded"), Assert.True);

        // Unchanged documents are not embedded again; a changed text is, and its state is stored again (content-hash keys).
        var changed = Docs.ToArray();
        changed[1] = (changed[1].Id, changed[1].Text + " Pears too.");
        var again = Index(Jsonl(changed), store, vectors, more);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Equal([false, true, false, false, false, false], Flags(again, "embedded"));
        Assert.Equal([false, true, false, false, false, false], Flags(again, "stored"));
        var back = Index(Jsonl(Docs), store, vectors, more);
        Assert.Equal([false, true, false, false, false, false], Flags(back, "embedded"));
        Assert.Equal([false, true, false, false, false, false], Flags(back, "stored"));

        var search = Search(store, vectors, [.. more, "--top-k", "4"]);
        Assert.True(search.ExitCode == 0, search.Stderr);
        return search.Lines;
    }

    private static async Task AssertMatchesApi(string[] lines, string store)
    {
        var f = Tiny;
        using var st = DocumentStateStore.Open(store, f.Model);
        var index = new ExactVectorIndex(f.Model);
        var embeddings = f.Model.Embed(DocumentRetrieverTests.Docs);
        index.Upsert([.. Docs.Select((d, i) => new VectorRecord(d.Id, ContentHash.Of(d.Text).ToString(), embeddings[i]))]);
        var expected = await new DocumentRetriever(f.Reranker, new StoreDocumentStates(st), index).SearchAsync(Query, 4);
        Assert.Equal(expected.Length, lines.Length);
        for (int i = 0; i < lines.Length; i++)
        {
            var o = JsonDocument.Parse(lines[i]).RootElement;
            Assert.Equal(i, o.GetProperty("rank").GetInt32());
            Assert.Equal(expected[i].Id, o.GetProperty("id").GetString());
            Assert.Equal(expected[i].Similarity, o.GetProperty("similarity").GetDouble(), 1e-12);
            Assert.Equal(expected[i].VectorRank, o.GetProperty("vector_rank").GetInt32());
            Assert.Equal(expected[i].Logit, o.GetProperty("logit").GetSingle());
            Assert.Equal(expected[i].Score, o.GetProperty("score").GetSingle());
        }
    }

    [Fact]
    public async Task Index_then_search_with_a_file_index_matches_the_api()
    {
        using var dir = new TempDir();
        var store = Path.Combine(dir.Path, "store");
        var vectors = Path.Combine(dir.Path, "vectors.safetensors");
        var lines = IndexAndSearch(store, vectors);
        await AssertMatchesApi(lines, store);
        var top2 = Search(store, vectors, "--top-k", "4", "--top-n", "2");
        Assert.Equal(lines[..2], top2.Lines);
        // Without --vectors, search runs over the embeddings the store holds: the same answer.
        var fromStore = CliRunner.Run("", "search", "--model", Model, "--reranker", Rr, "--store", store, "--query", Query, "--device", "cpu", "--top-k", "4");
        Assert.True(fromStore.ExitCode == 0, fromStore.Stderr);
        Assert.Equal(lines, fromStore.Lines);

        // The index names documents that another (empty) store does not hold: exit 2, naming the id.
        var empty = Path.Combine(dir.Path, "empty");
        Assert.Equal(0, CliRunner.Run("", "index", "--model", Model, "--reranker", Rr, "--out", empty, "--device", "cpu").ExitCode);
        var stray = Search(empty, vectors);
        Assert.Equal(2, stray.ExitCode);
        Assert.StartsWith("error: ", stray.Stderr);
        Assert.Contains("does not hold", stray.Stderr);
        // A vector index file of another model is refused.
        var other = CliRunner.Run("", "search", "--model", Fixtures.PathOf("mini-fp16.emb.pth"), "--reranker", Fixtures.PathOf("mini-fp16.reranker.pth"),
            "--store", store, "--vectors", vectors, "--query", Query, "--device", "cpu");
        Assert.Equal(2, other.ExitCode);
        Assert.Contains("another model", other.Stderr);
        var badK = Search(store, vectors, "--top-k", "0");
        Assert.Equal(2, badK.ExitCode);
    }

    [Fact]
    public async Task Index_then_search_with_postgresql_matches_the_file_index()
    {
        var cs = TestPostgres.ConnectionString();
        using var dir = new TempDir();
        var store = Path.Combine(dir.Path, "store");
        var lines = IndexAndSearch(store, "pg:" + cs, "--vectors-table", TestPostgres.NewTable());
        await AssertMatchesApi(lines, store);
        var unreachable = Search(store, "pg:Host=127.0.0.1;Port=1;Username=x;Timeout=3");
        Assert.Equal(2, unreachable.ExitCode);
        Assert.Contains("PostgreSQL", unreachable.Stderr);
    }
}
