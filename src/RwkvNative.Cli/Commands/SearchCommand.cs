using System.CommandLine;
using RwkvNative.Retrieval;
using RwkvNative.Store;

namespace RwkvNative.Cli.Commands;

/// <summary>
/// <c>rwkv-emb search --model EMB --reranker RR --store STORE [--vectors SPEC] --query Q [--top-k K] [--top-n N]</c>: the
/// query's embedding finds the K nearest documents in the vector index (default: an exact search over the embeddings the
/// store holds; or the index made by <c>rwkv-emb index --vectors</c>), whose
/// cached states in the store rerank them → {"rank","id","similarity","vector_rank","logit","score"}, best first.
/// No input is read.
/// </summary>
internal static class SearchCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var reranker = CommonOptions.Reranker(required: true);
        var store = new Option<string>("--store") { Description = "document-state store (made by 'rwkv-emb index')", Required = true };
        var vectors = VectorIndexes.Option(required: false);
        var table = VectorIndexes.Table();
        var query = CommonOptions.Query();
        var topK = new Option<int>("--top-k", "-k") { Description = "candidates taken from the vector index", DefaultValueFactory = _ => 10 };
        var topN = new Option<int?>("--top-n") { Description = "results printed after reranking (default: all K)" };
        var device = CommonOptions.Device();
        var cmd = new Command("search", "retrieve the nearest documents by embedding, then rerank them by their cached states")
        {
            model, reranker, store, vectors, table, query, topK, topN, device,
        };
        cmd.SetAction((p, ct) => Task.FromResult(Run(p.GetValue(model)!, p.GetValue(reranker)!, p.GetValue(store)!, p.GetValue(vectors),
            p.GetValue(table)!, p.GetValue(query)!, p.GetValue(topK), p.GetValue(topN), p.GetValue(device)!, ct)));
        return cmd;
    }

    private static int Run(string modelPath, string rerankerPath, string storePath, string? vectorsSpec, string table, string query,
        int topK, int? topN, string device, CancellationToken ct)
    {
        if (topK < 1) throw new InputException($"--top-k must be at least 1, got {topK}");
        if (topN is < 0) throw new InputException($"--top-n must not be negative, got {topN}");
        CommonOptions.RequireStoreFolder(storePath, "--store");
        using var model = CommonOptions.LoadModel(modelPath, device);
        using var rr = CommonOptions.LoadReranker(rerankerPath, model);
        CommonOptions.RequireEncodableQuery(model, query);
        using var store = DocumentStateStore.Open(storePath, model);
        using var vectors = VectorIndexes.OpenOrFromStore(vectorsSpec, table, model, store);
        var retriever = new DocumentRetriever(rr, new StoreDocumentStates(store), vectors.Index);
        SearchHit[] hits;
        try { hits = retriever.SearchAsync(query, topK, topN, ct).GetAwaiter().GetResult(); }
        catch (StaleDocumentStateException e)
        {
            throw new InputException($"the vector index ({vectors.Description}) holds the embedding of another text of document '{e.DocumentId}' than the store's state; index the documents into both again with 'rwkv-emb index --out STORE --vectors ...'");
        }
        catch (UnknownDocumentException e)
        {
            throw new InputException($"the vector index ({vectors.Description}) names document '{e.Id}', which the store {store.Directory} does not hold; index the documents into both with 'rwkv-emb index --out STORE --vectors ...'");
        }
        using var io = new JsonLines(Stream.Null, Console.OpenStandardOutput());
        for (int i = 0; i < hits.Length; i++)
        {
            var h = hits[i];
            io.WriteObject(w =>
            {
                w.WriteNumber("rank", i);
                w.WriteString("id", h.Id);
                w.WriteNumber("similarity", h.Similarity);
                w.WriteNumber("vector_rank", h.VectorRank);
                JsonLines.WriteFloat(w, "logit", h.Logit);
                JsonLines.WriteFloat(w, "score", h.Score);
            });
        }
        if (hits.Length == 0) Console.Error.WriteLine($"search: the vector index ({vectors.Description}) holds no documents");
        return ExitCodes.Ok;
    }
}
