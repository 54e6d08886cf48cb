// The request handlers: parse and validate, tokenize, hand the sequences to the batcher, write the answer.
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using RwkvNative.Backends;
using RwkvNative.Server.Json;

namespace RwkvNative.Server;

internal static class Endpoints
{
    /// <summary>TEI <c>POST /embed</c>: <c>{"inputs", "normalize"=true, "truncate"=false, "truncation_direction"="Right"}</c> → [[float]].</summary>
    public static async Task TeiEmbed(HttpContext ctx, ServingContext s)
    {
        float[][] embeddings;
        using (var doc = await RequestReader.ReadObjectAsync(ctx.Request, ctx.RequestAborted))
        {
            var root = doc.RootElement;
            var inputs = RequestReader.StringOrStrings(root, "inputs", out bool single);
            bool normalize = RequestReader.Bool(root, "normalize", true);
            var (truncate, fromLeft) = Truncation(root);
            var encoding = EncodingRequest.Read(root, s.Model.Encoding);
            var task = Task(root, encoding);
            CheckDimensions(root, s);
            var seqs = TokenizeInputs(s, inputs, "inputs", single, truncate, fromLeft, encoding, out _);
            embeddings = await s.Batcher.EmbedAsync(seqs, task, ctx.RequestAborted);
            if (normalize) foreach (var e in embeddings) EmbeddingMath.Normalize(e);
        }
        await ServingContext.WriteJson(ctx, embeddings, ServerJsonContext.Api.SingleArrayArray);
    }

    /// <summary>TEI <c>POST /rerank</c>: <c>{"query", "texts", "raw_scores"=false, "return_text"=false, "truncate"=false}</c> → [{"index","score","text"?}], best first.</summary>
    public static async Task TeiRerank(HttpContext ctx, ServingContext s)
    {
        RequireReranker(s);
        List<TeiRank> ranks;
        using (var doc = await RequestReader.ReadObjectAsync(ctx.Request, ctx.RequestAborted))
        {
            var root = doc.RootElement;
            var query = RequestReader.RequiredString(root, "query");
            var texts = RequestReader.StringArray(root, "texts");
            bool raw = RequestReader.Bool(root, "raw_scores", false);
            bool returnText = RequestReader.Bool(root, "return_text", false);
            var (truncate, fromLeft) = Truncation(root);
            if (fromLeft) throw ApiException.Invalid("truncation_direction", "field \"truncation_direction\": only \"Right\" is supported for reranking (the query sits at the end of the pair)");
            var logits = await Rerank(ctx, s, query, texts, "texts", truncate);
            ranks = new List<TeiRank>(logits.Length);
            for (int i = 0; i < logits.Length; i++)
                ranks.Add(new TeiRank { Index = i, Score = raw ? logits[i] : EmbeddingMath.Sigmoid(logits[i]), Text = returnText ? texts[i] : null });
            ranks.Sort(static (a, b) => b.Score != a.Score ? b.Score.CompareTo(a.Score) : a.Index.CompareTo(b.Index));
        }
        await ServingContext.WriteJson(ctx, ranks, ServerJsonContext.Api.ListTeiRank);
    }

    /// <summary>OpenAI <c>POST /v1/embeddings</c>: <c>{"input", "model", "encoding_format"=float|base64}</c>; embeddings are L2-normalised.</summary>
    public static async Task OpenAIEmbeddings(HttpContext ctx, ServingContext s)
    {
        float[][] embeddings;
        string format;
        long tokens;
        using (var doc = await RequestReader.ReadObjectAsync(ctx.Request, ctx.RequestAborted))
        {
            var root = doc.RootElement;
            var inputs = RequestReader.StringOrStrings(root, "input", out bool single);
            RequestReader.OptionalString(root, "model");
            format = RequestReader.OptionalString(root, "encoding_format") ?? "float";
            if (format is not ("float" or "base64"))
                throw ApiException.Invalid("encoding_format", $"field \"encoding_format\" must be \"float\" or \"base64\", got \"{format}\"");
            CheckDimensions(root, s);
            var encoding = EncodingRequest.Read(root, s.Model.Encoding);
            var task = Task(root, encoding);
            var seqs = TokenizeInputs(s, inputs, "input", single, truncate: RequestReader.Bool(root, "truncate", false), fromLeft: false, encoding, out tokens);
            embeddings = await s.Batcher.EmbedAsync(seqs, task, ctx.RequestAborted);
            foreach (var e in embeddings) EmbeddingMath.Normalize(e);
        }
        var usage = new OpenAIUsage { PromptTokens = tokens, TotalTokens = tokens };
        if (format == "float")
        {
            var data = new List<OpenAIEmbedding<float[]>>(embeddings.Length);
            for (int i = 0; i < embeddings.Length; i++) data.Add(new OpenAIEmbedding<float[]> { Index = i, Embedding = embeddings[i] });
            await ServingContext.WriteJson(ctx, new OpenAIEmbeddingList<float[]> { Data = data, Model = s.ModelId, Usage = usage },
                ServerJsonContext.Api.OpenAIEmbeddingListSingleArray);
        }
        else
        {
            var data = new List<OpenAIEmbedding<string>>(embeddings.Length);
            for (int i = 0; i < embeddings.Length; i++)
                data.Add(new OpenAIEmbedding<string> { Index = i, Embedding = ToBase64(embeddings[i]) });
            await ServingContext.WriteJson(ctx, new OpenAIEmbeddingList<string> { Data = data, Model = s.ModelId, Usage = usage },
                ServerJsonContext.Api.OpenAIEmbeddingListString);
        }
    }

    /// <summary>Cohere/Jina <c>POST /v1/rerank</c>: <c>{"query", "documents", "top_n"?, "return_documents"=false}</c> → {"results": [{"index","relevance_score"}]}.</summary>
    public static async Task CohereRerank(HttpContext ctx, ServingContext s)
    {
        RequireReranker(s);
        RerankResponse response;
        using (var doc = await RequestReader.ReadObjectAsync(ctx.Request, ctx.RequestAborted))
        {
            var root = doc.RootElement;
            var query = RequestReader.RequiredString(root, "query");
            var documents = RequestReader.Documents(root, "documents");
            int topN = RequestReader.OptionalInt(root, "top_n", min: 0) ?? documents.Count;
            bool returnDocuments = RequestReader.Bool(root, "return_documents", false);
            RequestReader.OptionalString(root, "model");
            bool truncate = RequestReader.Bool(root, "truncate", false);
            long before = 0;
            var logits = await Rerank(ctx, s, query, documents, "documents", truncate, t => before = t);
            var results = new List<RerankResult>(logits.Length);
            for (int i = 0; i < logits.Length; i++)
                results.Add(new RerankResult { Index = i, RelevanceScore = EmbeddingMath.Sigmoid(logits[i]), Document = returnDocuments ? new RerankDocument { Text = documents[i] } : null });
            results.Sort((a, b) => logits[b.Index] != logits[a.Index] ? logits[b.Index].CompareTo(logits[a.Index]) : a.Index.CompareTo(b.Index));
            if (results.Count > topN) results.RemoveRange(topN, results.Count - topN);
            response = new RerankResponse { Model = s.ModelId, Results = results, Usage = new RerankUsage { TotalTokens = before } };
        }
        await ServingContext.WriteJson(ctx, response, ServerJsonContext.Api.RerankResponse);
    }

    /// <summary><c>GET /health</c>: 200 while the server takes work, 503 once it is shutting down (draining) or the batcher stopped.</summary>
    public static Task Health(HttpContext ctx, ServingContext s)
    {
        ctx.Response.StatusCode = s.Batcher.IsAccepting && !s.Drain.Draining ? 200 : 503;
        return System.Threading.Tasks.Task.CompletedTask;
    }

    /// <summary><c>GET /info</c>: model shape, device, dtype, limits, version.</summary>
    public static Task Info(HttpContext ctx, ServingContext s)
    {
        var c = s.Model.Config;
        var info = new InfoResponse
        {
            ModelId = s.ModelId,
            ModelSha = s.Model.Identity,
            ModelDtype = s.Options.ModelDType,
            ModelType = new InfoModelType
            {
                Embedding = new InfoEmbedding { Pooling = "mean-over-eos", Tasks = ["retr", "cls", "sts"] },
                Reranker = s.Reranker == null ? null : new InfoReranker
                {
                    Layers = s.Reranker.Config.Blocks.Layers,
                    EmbeddingLayers = [.. s.Reranker.Config.LayerIndices],
                },
            },
            MaxConcurrentRequests = s.Options.MaxConcurrentRequests,
            MaxInputLength = s.Options.MaxInputTokens,
            MaxBatchTokens = s.Options.MaxBatchTokens,
            MaxClientBatchSize = s.Options.MaxClientBatchSize,
            Version = RwkvServer.Version,
            Device = s.Model.DeviceName,
            Layers = c.Layers,
            Channels = c.Channels,
            Heads = c.Heads,
            Dimensions = c.Channels,
        };
        return ServingContext.WriteJson(ctx, info, ServerJsonContext.Api.InfoResponse);
    }

    /// <summary><c>GET /metrics</c>: Prometheus text format 0.0.4.</summary>
    public static Task Metrics(HttpContext ctx, ServingContext s)
    {
        ctx.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        return ctx.Response.WriteAsync(s.Metrics.ToPrometheusText(), ctx.RequestAborted);
    }

    private static async Task<float[]> Rerank(HttpContext ctx, ServingContext s, string query, List<string> documents, string field, bool truncate,
        Action<long>? tokensOut = null)
    {
        CheckCount(s, documents.Count, field);
        var seqs = new int[documents.Count][];
        long tokens = 0;
        for (int i = 0; i < seqs.Length; i++)
        {
            seqs[i] = InputTokens.ForRerank(s.Model.Tokenizer, query, documents[i], $"{field}[{i}]", s.Options.MaxInputTokens, truncate);
            tokens += seqs[i].Length;
        }
        s.Metrics.RecordInputs(seqs.Length, tokens);
        tokensOut?.Invoke(tokens);
        return await s.Batcher.RerankAsync(seqs, ctx.RequestAborted);
    }

    private static int[][] TokenizeInputs(ServingContext s, List<string> inputs, string field, bool single, bool truncate, bool fromLeft,
        EncodingRequest encoding, out long tokens)
    {
        CheckCount(s, inputs.Count, field);
        var seqs = new int[inputs.Count][];
        tokens = 0;
        for (int i = 0; i < seqs.Length; i++)
        {
            string name = single ? field : $"{field}[{i}]";
            seqs[i] = encoding.Tokens(s.Model.Tokenizer, inputs[i], name, s.Options.MaxInputTokens, truncate, fromLeft);
            tokens += seqs[i].Length;
        }
        s.Metrics.RecordInputs(seqs.Length, tokens);
        return seqs;
    }

    internal static void CheckCount(ServingContext s, int count, string field)
    {
        if (count > s.Options.MaxClientBatchSize)
            throw new ApiException(413, ErrorKind.Validation,
                $"field \"{field}\" holds {count} items, more than the {s.Options.MaxClientBatchSize} allowed per request (--max-client-batch-size); split the request", field);
    }

    private static void RequireReranker(ServingContext s)
    {
        if (s.Reranker == null)
            throw new ApiException(400, ErrorKind.Validation, "this server has no reranker loaded; start it with --reranker RR.pth");
    }

    private static (bool Truncate, bool FromLeft) Truncation(JsonElement root)
    {
        bool truncate = RequestReader.Bool(root, "truncate", false);
        var dir = RequestReader.OptionalString(root, "truncation_direction") ?? "Right";
        bool left = dir.ToLowerInvariant() switch
        {
            "right" => false,
            "left" => true,
            _ => throw ApiException.Invalid("truncation_direction", $"field \"truncation_direction\" must be \"Right\" or \"Left\", got \"{dir}\""),
        };
        return (truncate, left);
    }

    private static EmbeddingTask Task(JsonElement root, EncodingRequest encoding)
    {
        var name = RequestReader.OptionalString(root, "task");
        if (name == null) return encoding.Head ?? EmbeddingTask.Retrieval;
        try { return EmbeddingTasks.Parse(name); }
        catch (ArgumentException) { throw ApiException.Invalid("task", $"field \"task\" must be retr, cls or sts, got \"{name}\""); }
    }

    private static void CheckDimensions(JsonElement root, ServingContext s)
    {
        var dims = RequestReader.OptionalInt(root, "dimensions", min: 1);
        if (dims is { } d && d != s.Model.Config.Channels)
            throw ApiException.Invalid("dimensions", $"field \"dimensions\": this model returns {s.Model.Config.Channels} dimensions and does not shorten them, got {d}");
    }



    /// <summary>float32 little-endian bytes, base64 (OpenAI's <c>encoding_format: base64</c>).</summary>
    internal static string ToBase64(float[] v)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("base64 embeddings are little-endian float32");
        return Convert.ToBase64String(MemoryMarshal.AsBytes(v.AsSpan()));
    }
}
