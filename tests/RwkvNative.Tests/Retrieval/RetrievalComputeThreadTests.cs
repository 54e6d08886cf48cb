using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using RwkvNative.Retrieval;
using RwkvNative.Store;
using RwkvNative.Tests.Reference;
using RwkvNative.Tests.Server;

namespace RwkvNative.Tests.Retrieval;

/// <summary>
/// <c>/search</c> and <c>/rerank</c> by ids score the cached states on the batcher's compute thread, as <c>/embed</c>'s
/// batches run, never on a thread-pool thread Kestrel needs for I/O.
/// </summary>
public sealed class RetrievalComputeThreadTests
{
    private const string Query = "What represents the end of a sequence?";

    /// <summary>Records the thread every state lookup (done inside the scoring work) runs on.</summary>
    private sealed class ThreadRecordingStates(IDocumentStates inner) : IDocumentStates
    {
        public ConcurrentQueue<(string? Name, bool Pool)> Threads { get; } = new();
        public string ModelIdentity => inner.ModelIdentity;
        public int Count => inner.Count;

        public DocumentState[] GetStates(IReadOnlyList<string> ids, IReadOnlyList<string>? contentHashes = null, CancellationToken cancellationToken = default)
        {
            Threads.Enqueue((Thread.CurrentThread.Name, Thread.CurrentThread.IsThreadPoolThread));
            return inner.GetStates(ids, contentHashes, cancellationToken);
        }
    }

    [Fact]
    public async Task Search_and_rerank_by_ids_score_on_the_batcher_thread_not_the_thread_pool()
    {
        var f = LoadedFixtures.Get("tiny-bf16", "cpu");
        using var dir = new TempDir();
        var (store, index) = DocumentRetrieverTests.Build(f, dir.Path);
        using var _ = store;
        var states = new ThreadRecordingStates(new StoreDocumentStates(store));
        await using var server = await ServerHarness.StartAsync(loopback: false, retriever: new DocumentRetriever(f.Reranker, states, index));

        async Task<JsonElement> Post(string path, object body)
        {
            var (status, answer) = await server.PostAsync(path, JsonSerializer.Serialize(body));
            Assert.True(status == HttpStatusCode.OK, $"{path}: {(int)status} {answer}");
            return answer;
        }

        var search = await Post("/search", new { query = Query, top_k = 3 });
        var byIds = await Post("/rerank", new { query = Query, ids = DocumentRetrieverTests.Ids[..2] });

        Assert.Equal(2, states.Threads.Count);
        Assert.All(states.Threads, t =>
        {
            Assert.Equal("rwkv-batcher", t.Name);
            Assert.False(t.Pool);
        });
        // The split steps answer as the one-call library search does.
        var expected = await new DocumentRetriever(f.Reranker, new StoreDocumentStates(store), index).SearchAsync(Query, 3);
        Assert.Equal(expected.Select(h => h.Id), search.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetString()));
        Assert.Equal(expected.Select(h => h.Logit), search.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("logit").GetSingle()));
        Assert.Equal(2, byIds.GetArrayLength());
    }
}
