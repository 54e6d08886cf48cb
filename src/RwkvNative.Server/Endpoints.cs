// The request handlers: parse and validate, tokenize, hand the sequences to the batcher, write the answer.
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using RwkvNative.Backends;
using RwkvNative.Server.Json;
using RwkvNative.Server.Retrieval;
using RwkvNative.Tokenizer;

namespace RwkvNative.Server;

internal static class Endpoints
{
    private static readonly long StartedAt = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    /// <summary>
    /// TEI <c>POST /embed</c>: <c>{"inputs": text | ids | [text | ids], "normalize"=true, "truncate"=--auto-truncate,
    /// "truncation_direction"="Right", "prompt_name"?, "task"?}</c> → [[float]].
    /// </summary>
    public static async Task TeiEmbed(HttpContext ctx, ServingContext s)
    {
        float[][] embeddings;
        using (var doc = await RequestReader.ReadObjectAsync(ctx.Request, ctx.RequestAborted))
        {
            var root = doc.RootElement;
            var inputs = RequestReader.Inputs(root, "inputs", out bool single);
            bool normalize = RequestReader.Bool(root, "normalize", true);
            var (truncate, fromLeft) = Truncation(root, s);
            var encoding = EncodingRequest.Read(root, s.Model.Encoding);
            var task = Task(root, encoding);
            CheckDimensions(root, s);
            var seqs = TokenizeInputs(ctx, s, inputs, "inputs", single, truncate, fromLeft, encoding, out _);
            embeddings = await s.Batcher.EmbedAsync(seqs, task, ctx.RequestAborted, RequestTiming.Of(ctx));
            if (normalize) foreach (var e in embeddings) EmbeddingMath.Normalize(e);
        }
        await ServingContext.WriteJson(ctx, embeddings, ServerJsonContext.Api.SingleArrayArray);
    }

    /// <summary>
    /// TEI <c>POST /</c>: TEI serves the loaded model's one route here. Both models may be loaded, so the body decides: one
    /// with <c>"query"</c> is reranked as <c>/rerank</c>, any other is embedded as <c>/embed</c>.
    /// </summary>
    public static async Task Root(HttpContext ctx, ServingContext s)
    {
        if (await RequestReader.PeekHasPropertyAsync(ctx.Request, "query", ctx.RequestAborted)) await RetrievalEndpoints.Rerank(ctx, s);
        else await TeiEmbed(ctx, s);
    }

    /// <summary>TEI <c>POST /rerank</c>: <c>{"query", "texts", "raw_scores"=false, "return_text"=false, "truncate"=--auto-truncate}</c> → [{"index","score","text"?}], best first.</summary>
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
            var (truncate, fromLeft) = Truncation(root, s);
            if (fromLeft) throw ApiException.Invalid("truncation_direction", "field \"truncation_direction\": only \"Right\" is supported for reranking (the query sits at the end of the pair)");
            var logits = await Rerank(ctx, s, query, texts, "texts", truncate);
            ranks = new List<TeiRank>(logits.Length);
            for (int i = 0; i < logits.Length; i++)
                ranks.Add(new TeiRank { Index = i, Score = raw ? logits[i] : EmbeddingMath.Sigmoid(logits[i]), Text = returnText ? texts[i] : null });
            ranks.Sort(static (a, b) => b.Score != a.Score ? b.Score.CompareTo(a.Score) : a.Index.CompareTo(b.Index));
        }
        await ServingContext.WriteJson(ctx, ranks, ServerJsonContext.Api.ListTeiRank);
    }

    /// <summary>
    /// TEI <c>POST /tokenize</c>: <c>{"inputs": str | [str], "add_special_tokens"=true}</c> → one list per input of
    /// <c>{"id","text","special","start","stop"}</c> (start/stop: UTF-8 byte offsets in the input; EOS is the special token).
    /// </summary>
    public static async Task Tokenize(HttpContext ctx, ServingContext s)
    {
        var result = new List<List<TeiToken>>();
        using (var doc = await RequestReader.ReadObjectAsync(ctx.Request, ctx.RequestAborted))
        {
            var root = doc.RootElement;
            var inputs = RequestReader.StringOrStrings(root, "inputs", out bool single);
            bool special = RequestReader.Bool(root, "add_special_tokens", true);
            CheckCount(s, inputs.Count, "inputs");
            for (int n = 0; n < inputs.Count; n++)
            {
                var ids = InputTokens.Encode(s.Model.Tokenizer, inputs[n], single ? "inputs" : $"inputs[{n}]", addEos: false);
                var tokens = new List<TeiToken>(ids.Length + 1);
                int offset = 0;
                foreach (int id in ids)
                {
                    var bytes = s.Model.Tokenizer.DecodeBytes([id]);
                    tokens.Add(new TeiToken { Id = id, Text = System.Text.Encoding.UTF8.GetString(bytes), Special = false, Start = offset, Stop = offset + bytes.Length });
                    offset += bytes.Length;
                }
                if (special) tokens.Add(new TeiToken { Id = RwkvTokenizer.EosToken, Text = "", Special = true });
                result.Add(tokens);
            }
        }
        await ServingContext.WriteJson(ctx, result, ServerJsonContext.Api.ListListTeiToken);
    }

    /// <summary>TEI <c>POST /decode</c>: <c>{"ids": [int] | [[int]], "skip_special_tokens"=true}</c> → [str].</summary>
    public static async Task Decode(HttpContext ctx, ServingContext s)
    {
        var texts = new List<string>();
        using (var doc = await RequestReader.ReadObjectAsync(ctx.Request, ctx.RequestAborted))
        {
            var root = doc.RootElement;
            bool skip = RequestReader.Bool(root, "skip_special_tokens", true);
            var inputs = RequestReader.Inputs(root, "ids", out _);
            CheckCount(s, inputs.Count, "ids");
            for (int n = 0; n < inputs.Count; n++)
            {
                var ids = inputs[n].Ids ?? throw ApiException.Invalid($"ids[{n}]", $"field \"ids[{n}]\" must be an array of token ids");
                if (skip) ids = Array.FindAll(ids, id => id != RwkvTokenizer.EosToken);
                texts.Add(s.Model.Tokenizer.Decode(ids));
            }
        }
        await ServingContext.WriteJson(ctx, texts, ServerJsonContext.Api.ListString);
    }

    /// <summary>
    /// OpenAI <c>POST /v1/embeddings</c>: <c>{"input": text | ids | [text | ids], "model", "encoding_format"=float|base64,
    /// "dimensions"?, "input_type"?, "task"?}</c>; embeddings are L2-normalised.
    /// </summary>
    public static async Task OpenAIEmbeddings(HttpContext ctx, ServingContext s)
    {
        float[][] embeddings;
        string format;
        long tokens;
        using (var doc = await RequestReader.ReadObjectAsync(ctx.Request, ctx.RequestAborted))
        {
            var root = doc.RootElement;
            var inputs = RequestReader.Inputs(root, "input", out bool single);
            RequestReader.OptionalString(root, "model");
            RequestReader.OptionalString(root, "user");
            format = RequestReader.OptionalString(root, "encoding_format") ?? "float";
            if (format is not ("float" or "base64"))
                throw ApiException.Invalid("encoding_format", $"field \"encoding_format\" must be \"float\" or \"base64\", got \"{format}\"");
            CheckDimensions(root, s);
            var encoding = EncodingRequest.Read(root, s.Model.Encoding);
            var task = Task(root, encoding);
            var seqs = TokenizeInputs(ctx, s, inputs, "input", single, truncate: RequestReader.Bool(root, "truncate", s.Options.AutoTruncate), fromLeft: false, encoding, out tokens);
            embeddings = await s.Batcher.EmbedAsync(seqs, task, ctx.RequestAborted, RequestTiming.Of(ctx));
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

    /// <summary>OpenAI <c>GET /v1/models</c>: the one model this server serves.</summary>
    public static Task Models(HttpContext ctx, ServingContext s) =>
        ServingContext.WriteJson(ctx, new OpenAIModelList { Data = [new OpenAIModel { Id = s.ModelId, Created = StartedAt }] }, ServerJsonContext.Api.OpenAIModelList);

    /// <summary>
    /// Cohere v1 / Jina <c>POST /v1/rerank</c>: <c>{"query", "documents": [str | {"text"}], "top_n"?, "return_documents"=true}</c>
    /// → {"model", "results": [{"index","relevance_score","document"?}], "usage"}. <c>return_documents</c> defaults to true
    /// as in Jina's API (Cohere's v1 default is false; its clients read the extra field as optional).
    /// </summary>
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
            bool returnDocuments = RequestReader.Bool(root, "return_documents", true);
            RequestReader.OptionalString(root, "model");
            bool truncate = RequestReader.Bool(root, "truncate", s.Options.AutoTruncate);
            long tokens = 0;
            var logits = await Rerank(ctx, s, query, documents, "documents", truncate, t => tokens = t);
            var results = Ranked(logits, topN, i => new RerankResult
            {
                Index = i,
                RelevanceScore = EmbeddingMath.Sigmoid(logits[i]),
                Document = returnDocuments ? new RerankDocument { Text = documents[i] } : null,
            });
            response = new RerankResponse { Model = s.ModelId, Results = results, Usage = new RerankUsage { TotalTokens = tokens } };
        }
        await ServingContext.WriteJson(ctx, response, ServerJsonContext.Api.RerankResponse);
    }

    /// <summary>
    /// Cohere v2 <c>POST /v2/rerank</c>: <c>{"model", "query", "documents": [str], "top_n"?, "max_tokens_per_doc"=4096}</c> →
    /// {"id", "results": [{"index","relevance_score"}], "meta"}. As Cohere does, long documents are cut (to
    /// max_tokens_per_doc tokens, and so that each pair fits --max-input-tokens), never refused.
    /// </summary>
    public static async Task CohereV2Rerank(HttpContext ctx, ServingContext s)
    {
        RequireReranker(s);
        CohereV2RerankResponse response;
        using (var doc = await RequestReader.ReadObjectAsync(ctx.Request, ctx.RequestAborted))
        {
            var root = doc.RootElement;
            RequestReader.OptionalString(root, "model");
            var query = RequestReader.RequiredString(root, "query");
            var documents = RequestReader.Documents(root, "documents");
            int topN = RequestReader.OptionalInt(root, "top_n", min: 1) ?? documents.Count;
            int maxTokens = RequestReader.OptionalInt(root, "max_tokens_per_doc", min: 1) ?? 4096;
            for (int i = 0; i < documents.Count; i++)
            {
                var ids = InputTokens.Encode(s.Model.Tokenizer, documents[i], $"documents[{i}]", addEos: false);
                if (ids.Length > maxTokens) documents[i] = s.Model.Tokenizer.Decode(ids.AsSpan(0, maxTokens));
            }
            var logits = await Rerank(ctx, s, query, documents, "documents", truncate: true);
            var results = Ranked(logits, topN, i => new CohereV2Result { Index = i, RelevanceScore = EmbeddingMath.Sigmoid(logits[i]) });
            response = new CohereV2RerankResponse { Id = ctx.Response.Headers["x-request-id"].ToString(), Results = results };
        }
        await ServingContext.WriteJson(ctx, response, ServerJsonContext.Api.CohereV2RerankResponse);
    }

    /// <summary><c>GET /health</c>: 200 while the server takes work, 503 once it is shutting down (draining) or the batcher stopped.</summary>
    public static Task Health(HttpContext ctx, ServingContext s)
    {
        ctx.Response.StatusCode = s.Batcher.IsAccepting && !s.Drain.Draining ? 200 : 503;
        return System.Threading.Tasks.Task.CompletedTask;
    }

    /// <summary>
    /// <c>GET /info</c>: TEI's keys (one <c>model_type</c>: the embedding model, which <c>/</c> serves by default), the
    /// reranker beside it when loaded, and the model's shape.
    /// </summary>
    public static Task Info(HttpContext ctx, ServingContext s)
    {
        var c = s.Model.Config;
        var info = new InfoResponse
        {
            ModelId = s.ModelId,
            ModelSha = s.Model.Identity,
            ModelDtype = s.Options.ModelDType ?? "unknown",
            ServedModelName = s.ModelId,
            ModelType = new InfoModelType { Embedding = new InfoEmbedding { Pooling = "mean-over-eos", Tasks = ["retr", "cls", "sts"] } },
            Reranker = s.Reranker == null ? null : new InfoReranker
            {
                Layers = s.Reranker.Config.Blocks.Layers,
                EmbeddingLayers = [.. s.Reranker.Config.LayerIndices],
            },
            MaxConcurrentRequests = s.Options.MaxConcurrentRequests,
            MaxInputLength = s.Options.MaxInputTokens,
            MaxBatchTokens = s.Options.MaxBatchTokens,
            MaxClientBatchSize = s.Options.MaxClientBatchSize,
            AutoTruncate = s.Options.AutoTruncate,
            TokenizationWorkers = Environment.ProcessorCount,
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

    /// <summary>The top <paramref name="topN"/> of <paramref name="logits"/>, best first (ties: lower index first).</summary>
    private static List<T> Ranked<T>(float[] logits, int topN, Func<int, T> item)
    {
        var order = Enumerable.Range(0, logits.Length).ToArray();
        Array.Sort(order, (a, b) => logits[b] != logits[a] ? logits[b].CompareTo(logits[a]) : a.CompareTo(b));
        return [.. order.Take(topN).Select(item)];
    }

    private static async Task<float[]> Rerank(HttpContext ctx, ServingContext s, string query, List<string> documents, string field, bool truncate,
        Action<long>? tokensOut = null)
    {
        CheckCount(s, documents.Count, field);
        var seqs = Tokenize(ctx, s, query, documents, field, truncate, out long tokens);
        tokensOut?.Invoke(tokens);
        return await s.Batcher.RerankAsync(seqs, ctx.RequestAborted, RequestTiming.Of(ctx));
    }

    /// <summary>The online-template sequences of (query, document) pairs, with the tokenize span, metrics and timing.</summary>
    private static int[][] Tokenize(HttpContext ctx, ServingContext s, string query, List<string> documents, string field, bool truncate, out long tokens) =>
        TokenizeEach(ctx, s, documents.Count, i => InputTokens.ForRerank(s.Model.Tokenizer, query, documents[i], $"{field}[{i}]", s.Options.MaxInputTokens, truncate),
            i => query.Length + documents[i].Length, out tokens);

    private static int[][] TokenizeInputs(HttpContext ctx, ServingContext s, List<Input> inputs, string field, bool single, bool truncate, bool fromLeft,
        EncodingRequest encoding, out long tokens)
    {
        CheckCount(s, inputs.Count, field);
        return TokenizeEach(ctx, s, inputs.Count, i =>
        {
            string name = single ? field : $"{field}[{i}]";
            return inputs[i].Ids is { } ids
                ? encoding.FromIds(ids, name, s.Options.MaxInputTokens, truncate, fromLeft)
                : encoding.Tokens(s.Model.Tokenizer, inputs[i].Text!, name, s.Options.MaxInputTokens, truncate, fromLeft);
        }, i => inputs[i].Characters, out tokens);
    }

    /// <summary>
    /// The sequences <paramref name="tokenize"/> gives for items 0 .. count - 1, inside the <c>tokenize</c> span, recorded in the input
    /// metrics and the request timing (tokens, and the <paramref name="characters"/> of each item).
    /// </summary>
    private static int[][] TokenizeEach(HttpContext ctx, ServingContext s, int count, Func<int, int[]> tokenize, Func<int, long> characters, out long tokens)
    {
        using var span = ServerTracing.Source.StartActivity("tokenize");
        long start = Stopwatch.GetTimestamp();
        var seqs = new int[count][];
        tokens = 0;
        long chars = 0;
        for (int i = 0; i < seqs.Length; i++)
        {
            seqs[i] = tokenize(i);
            tokens += seqs[i].Length;
            chars += characters(i);
            s.Metrics.RecordInputLength(seqs[i].Length);
        }
        s.Metrics.RecordInputs(seqs.Length, tokens);
        span?.SetTag("rwkv.tokens", tokens);
        if (RequestTiming.Of(ctx) is { } timing)
        {
            timing.Tokenization = Stopwatch.GetElapsedTime(start);
            timing.Tokens = tokens;
            timing.Characters = chars;
        }
        return seqs;
    }

    internal static void CheckCount(ServingContext s, int count, string field)
    {
        if (count > s.Options.MaxClientBatchSize)
            throw new ApiException(ErrorKind.Validation,
                $"field \"{field}\" holds {count} items, more than the {s.Options.MaxClientBatchSize} allowed per request (--max-client-batch-size); split the request", field);
    }

    private static void RequireReranker(ServingContext s)
    {
        if (s.Reranker == null)
            throw new ApiException(ErrorKind.Validation, "this server has no reranker loaded; start it with --reranker RR.pth", httpStatus: 400);
    }

    private static (bool Truncate, bool FromLeft) Truncation(JsonElement root, ServingContext s)
    {
        bool truncate = RequestReader.Bool(root, "truncate", s.Options.AutoTruncate);
        var dir = RequestReader.OptionalString(root, "truncation_direction") ?? "Right";
        bool left = dir.ToLowerInvariant() switch
        {
            "right" => false,
            "left" => true,
            _ => throw ApiException.Invalid("truncation_direction", $"field \"truncation_direction\" must be \"Right\" or \"Left\", got \"{dir}\""),
        };
        return (truncate, left);
    }

    /// <summary>
    /// The task head: an explicit <c>"task"</c> (retr|cls|sts) wins; otherwise the head the prompt implies (TEI's <c>prompt_name</c>,
    /// Cohere's and others' <c>input_type</c>, read by <see cref="EncodingRequest"/>), else retrieval.
    /// </summary>
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
