// Reranking by document id and retrieve-then-rerank over the server's document-state store and vector index.
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using RwkvNative.Retrieval;
using RwkvNative.Server.Json;

namespace RwkvNative.Server.Retrieval;

internal static class RetrievalEndpoints
{
    /// <summary>
    /// <c>POST /rerank</c>: a body with <c>"ids"</c> (documents of the store, instead of <c>"texts"</c>) is scored from the
    /// cached states → [{"index","id","score"}], best first (<c>raw_scores</c> as TEI); any other body goes to TEI's
    /// text reranking unchanged.
    /// </summary>
    public static async Task Rerank(HttpContext ctx, ServingContext s)
    {
        if (!await RequestReader.PeekHasPropertyAsync(ctx.Request, "ids", ctx.RequestAborted))
        {
            await Endpoints.TeiRerank(ctx, s);
            return;
        }
        var retriever = Retriever(ctx, s, needIndex: false);
        List<StoredRank> ranks;
        using (var doc = await RequestReader.ReadObjectAsync(ctx.Request, ctx.RequestAborted))
        {
            var root = doc.RootElement;
            if (root.TryGetProperty("texts", out _))
                throw ApiException.Invalid("ids", "send either \"texts\" (documents to rerank) or \"ids\" (documents of the store), not both");
            var query = RequestReader.RequiredString(root, "query");
            var ids = RequestReader.StringArray(root, "ids");
            bool raw = RequestReader.Bool(root, "raw_scores", false);
            Endpoints.CheckCount(s, ids.Count, "ids");
            CheckQuery(s, query);
            RerankScore[] scores;
            try { scores = await Task.Run(() => retriever.ScoreByIds(query, ids, ctx.RequestAborted), ctx.RequestAborted); }
            catch (UnknownDocumentException e)
            {
                throw ApiException.Invalid($"ids[{ids.IndexOf(e.Id)}]", $"field \"ids[{ids.IndexOf(e.Id)}]\": no document with id '{e.Id}' in the server's store; index it with 'rwkv-emb index'");
            }
            ranks = new List<StoredRank>(scores.Length);
            foreach (var sc in scores) ranks.Add(new StoredRank { Index = sc.Index, Id = ids[sc.Index], Score = raw ? sc.Logit : sc.Score });
            ranks.Sort(static (a, b) => b.Score != a.Score ? b.Score.CompareTo(a.Score) : a.Index.CompareTo(b.Index));
        }
        await ServingContext.WriteJson(ctx, ranks, ServerJsonContext.Api.ListStoredRank);
    }

    /// <summary>
    /// <c>POST /search</c>: <c>{"query", "top_k"=10, "top_n"?}</c> → the top_k nearest documents by embedding, reranked
    /// from their cached states → {"model", "results": [{"id","score","logit","similarity","vector_rank"}]}, best first.
    /// </summary>
    public static async Task Search(HttpContext ctx, ServingContext s)
    {
        var retriever = Retriever(ctx, s, needIndex: true);
        SearchHit[] hits;
        using (var doc = await RequestReader.ReadObjectAsync(ctx.Request, ctx.RequestAborted))
        {
            var root = doc.RootElement;
            var query = RequestReader.RequiredString(root, "query");
            int topK = RequestReader.OptionalInt(root, "top_k", min: 1) ?? 10;
            int? topN = RequestReader.OptionalInt(root, "top_n", min: 0);
            Endpoints.CheckCount(s, topK, "top_k");
            CheckQuery(s, query);
            try { hits = await Task.Run(() => retriever.SearchAsync(query, topK, topN, ctx.RequestAborted), ctx.RequestAborted); }
            catch (RwkvNative.Store.StaleDocumentStateException e)
            {
                throw new ApiException(ErrorKind.Backend, $"the vector index and the store disagree about document '{e.DocumentId}' (its embedding and its state come from different texts); re-index it with 'rwkv-emb index'", httpStatus: 409);
            }
        }
        var results = new List<SearchResult>(hits.Length);
        foreach (var h in hits)
            results.Add(new SearchResult { Id = h.Id, Score = h.Score, Logit = h.Logit, Similarity = h.Similarity, VectorRank = h.VectorRank });
        await ServingContext.WriteJson(ctx, new SearchResponse { Model = s.ModelId, Results = results }, ServerJsonContext.Api.SearchResponse);
    }

    private static DocumentRetriever Retriever(HttpContext ctx, ServingContext s, bool needIndex)
    {
        if (s.Reranker == null)
            throw new ApiException(ErrorKind.Validation, "this server has no reranker loaded; start it with --reranker RR.pth", httpStatus: 400);
        var retriever = ctx.RequestServices.GetService<DocumentRetriever>()
            ?? throw new ApiException(ErrorKind.Validation, "this server has no document store; start it with --store STORE (made by 'rwkv-emb index')", httpStatus: 400);
        if (needIndex && retriever.Index == null)
            throw new ApiException(ErrorKind.Validation, "this server has no vector index; start it with --vectors FILE|pg:CONNECTION-STRING (made by 'rwkv-emb index --vectors')", httpStatus: 400);
        return retriever;
    }

    /// <summary>The query plus the offline query template must fit one input.</summary>
    private static void CheckQuery(ServingContext s, string query)
    {
        int[] tokens;
        try { tokens = s.Model.Tokenizer.Encode(RwkvNative.Reranker.QueryText(query), addEos: true); }
        catch (ArgumentException e) { throw ApiException.Invalid("query", $"field \"query\": {e.Message}"); }
        if (tokens.Length > s.Options.MaxInputTokens)
            throw new ApiException(ErrorKind.Validation, $"field \"query\" is {tokens.Length} tokens, more than --max-input-tokens ({s.Options.MaxInputTokens})", "query", httpStatus: 413);
    }
}
