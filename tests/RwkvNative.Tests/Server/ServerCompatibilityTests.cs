using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using RwkvNative.Backends;
using RwkvNative.Server;

namespace RwkvNative.Tests.Server;

/// <summary>Wire compatibility with TEI, OpenAI and Cohere v1/v2 beyond the basic routes; API keys, CORS, request ids.</summary>
public sealed class ServerCompatibilityTests
{
    [Fact]
    public async Task The_tei_base_url_embeds_or_reranks_by_the_body()
    {
        await using var s = await ServerHarness.StartAsync(loopback: false);
        var f = ServerHarness.Tiny;
        var (status, body) = await s.PostAsync("/", "{\"inputs\": \"hello\", \"normalize\": false}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(f.Model.Embed("hello"), ServerHarness.Floats(body)[0]);
        (status, body) = await s.PostAsync("/", "{\"query\": \"q\", \"texts\": [\"a\", \"b\"], \"raw_scores\": true}");
        Assert.Equal(HttpStatusCode.OK, status);
        var expected = f.Reranker.Score("q", ["a", "b"]);
        foreach (var r in body.EnumerateArray()) Assert.Equal(expected[r.GetProperty("index").GetInt32()].Logit, r.GetProperty("score").GetSingle());
    }

    [Fact]
    public async Task Models_cohere_v2_and_jina_defaults_have_their_apis_shapes()
    {
        await using var s = await ServerHarness.StartAsync(loopback: false);
        var models = JsonDocument.Parse(await s.Client.GetStringAsync("/v1/models")).RootElement;
        Assert.Equal("list", models.GetProperty("object").GetString());
        Assert.Equal("tiny", models.GetProperty("data")[0].GetProperty("id").GetString());
        Assert.Equal("model", models.GetProperty("data")[0].GetProperty("object").GetString());

        var (status, v2) = await s.PostAsync("/v2/rerank", "{\"model\": \"tiny\", \"query\": \"q\", \"documents\": [\"a\", \"b\", \"c\"], \"top_n\": 2}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(2, v2.GetProperty("results").GetArrayLength());
        Assert.False(v2.GetProperty("results")[0].TryGetProperty("document", out _));
        Assert.Equal("2", v2.GetProperty("meta").GetProperty("api_version").GetProperty("version").GetString());
        Assert.False(string.IsNullOrEmpty(v2.GetProperty("id").GetString()));
        var scores = ServerHarness.Tiny.Reranker.Score("q", ["a", "b", "c"]).OrderByDescending(x => x.Logit).ToArray();
        Assert.Equal(scores[0].Score, v2.GetProperty("results")[0].GetProperty("relevance_score").GetSingle());

        var (_, v1) = await s.PostAsync("/v1/rerank", "{\"query\": \"q\", \"documents\": [\"a\"]}");
        Assert.Equal("a", v1.GetProperty("results")[0].GetProperty("document").GetProperty("text").GetString()); // Jina: default true
        (status, var err) = await s.PostAsync("/v2/rerank", "{\"query\": \"q\"}");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("\"documents\"", err.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Info_has_teis_keys_and_metrics_and_headers_have_teis_names()
    {
        await using var s = await ServerHarness.StartAsync(loopback: false, new RwkvServerOptions { AutoTruncate = true });
        var info = JsonDocument.Parse(await s.Client.GetStringAsync("/info")).RootElement;
        Assert.Equal(["embedding"], info.GetProperty("model_type").EnumerateObject().Select(p => p.Name));
        Assert.True(info.GetProperty("auto_truncate").GetBoolean());
        Assert.True(info.GetProperty("tokenization_workers").GetInt32() >= 1);
        Assert.Equal("tiny", info.GetProperty("served_model_name").GetString());
        Assert.Equal(JsonValueKind.Null, info.GetProperty("max_batch_requests").ValueKind);

        using var response = await s.Client.PostAsync("/embed", ServerHarness.Json("{\"inputs\": [\"a b c\", \"d\"]}"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        foreach (var h in new[] { "x-compute-type", "x-compute-time", "x-compute-characters", "x-compute-tokens", "x-total-time", "x-tokenization-time", "x-queue-time", "x-inference-time" })
            Assert.True(response.Headers.Contains(h), h);
        Assert.Equal("6", response.Headers.GetValues("x-compute-characters").Single());
        var f = ServerHarness.Tiny;
        long tokens = f.Model.Tokenizer.Encode("a b c", true).Length + f.Model.Tokenizer.Encode("d", true).Length;
        Assert.Equal(tokens.ToString(), response.Headers.GetValues("x-compute-tokens").Single());

        var text = await s.Client.GetStringAsync("/metrics");
        foreach (var m in new[] { "te_request_count 1\n", "te_request_success 1\n", "te_request_duration_count 1\n", "te_queue_size 0\n",
                     "te_request_queue_duration_count 1\n", "te_request_inference_duration_count 1\n", "te_request_input_length_count 2\n", "te_batch_next_size_sum 2\n" })
            Assert.Contains(m, text);
        Assert.Contains("rwkv_requests_total{route=\"/embed\",code=\"200\"} 1\n", text); // ours stay
    }

    [Fact]
    public async Task Tokenize_and_decode_round_trip_and_token_ids_embed_like_their_text()
    {
        await using var s = await ServerHarness.StartAsync(loopback: false);
        var f = ServerHarness.Tiny;
        var (status, tok) = await s.PostAsync("/tokenize", "{\"inputs\": [\"héllo world\"]}");
        Assert.Equal(HttpStatusCode.OK, status);
        var tokens = tok[0].EnumerateArray().ToArray();
        var ids = f.Model.Tokenizer.Encode("héllo world", addEos: true);
        Assert.Equal(ids, tokens.Select(t => t.GetProperty("id").GetInt32()).ToArray());
        Assert.True(tokens[^1].GetProperty("special").GetBoolean());
        Assert.Equal(System.Text.Encoding.UTF8.GetByteCount("héllo world"), tokens[^2].GetProperty("stop").GetInt32());

        var (_, dec) = await s.PostAsync("/decode", JsonSerializer.Serialize(new { ids }));
        Assert.Equal("héllo world", dec[0].GetString());

        // Ids from /tokenize (with or without EOS) embed exactly as the text.
        var (st, emb) = await s.PostAsync("/embed", JsonSerializer.Serialize(new { inputs = ids[..^1], normalize = false }));
        Assert.Equal(HttpStatusCode.OK, st);
        Assert.Equal(f.Model.Embed("héllo world"), ServerHarness.Floats(emb)[0]);
        var (st2, oai) = await s.PostAsync("/v1/embeddings", JsonSerializer.Serialize(new { input = new[] { ids } }));
        Assert.Equal(HttpStatusCode.OK, st2);
        Assert.Equal(128, oai.GetProperty("data")[0].GetProperty("embedding").GetArrayLength());

        // tiktoken ids (cl100k goes to 100k): refused with how to configure the client.
        var (bad, err) = await s.PostAsync("/v1/embeddings", "{\"input\": [[15339, 1917, 100256]]}");
        Assert.Equal(HttpStatusCode.BadRequest, bad);
        var message = err.GetProperty("error").GetProperty("message").GetString()!;
        Assert.Contains("100256", message);
        Assert.Contains("check_embedding_ctx_length=False", message);
        Assert.Equal("input[0][2]", err.GetProperty("error").GetProperty("param").GetString());
    }

    [Fact]
    public async Task Prompt_name_and_input_type_pick_the_task_head_and_auto_truncate_applies()
    {
        // The instructions are longer than the truncating server's 8 tokens: the prompts are checked on a default server.
        await using var p = await ServerHarness.StartAsync(loopback: false);
        var f = ServerHarness.Tiny;
        // prompt_name / input_type name task types (upstream's instructions and heads): Classification and Clustering
        // both use the cls head (task_tag.py), each with its own instruction.
        var classification = TaskInstructions.For("Classification");
        var cls = f.Model.Embed(["text"], classification.Head, classification.Instruction)[0];
        var (_, a) = await p.PostAsync("/embed", "{\"inputs\": \"text\", \"normalize\": false, \"prompt_name\": \"classification\"}");
        Assert.Equal(cls, ServerHarness.Floats(a)[0]);
        var clustering = TaskInstructions.For("Clustering");
        Assert.Equal(EmbeddingTask.Classification, clustering.Head);
        var (_, b) = await p.PostAsync("/v1/embeddings", "{\"input\": \"text\", \"input_type\": \"clustering\"}");
        var clu = f.Model.Embed(["text"], clustering.Head, clustering.Instruction)[0];
        EmbeddingMath.Normalize(clu);
        Assert.Equal(clu, b.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(x => x.GetSingle()).ToArray());
        var (bad, err) = await p.PostAsync("/embed", "{\"inputs\": \"text\", \"prompt_name\": \"summarize\"}");
        Assert.Equal((HttpStatusCode)422, bad);
        Assert.Contains("classification", err.GetProperty("error").GetString(), StringComparison.OrdinalIgnoreCase);
        // An explicit "task" picks the head; prompt_name "query" (TEI's usual name) is the input type.
        var query = TaskInstructions.For("Retrieval", null, isQuery: true);
        var (okTask, c) = await p.PostAsync("/embed", "{\"inputs\": \"text\", \"normalize\": false, \"prompt_name\": \"query\", \"task\": \"cls\"}");
        Assert.Equal(HttpStatusCode.OK, okTask);
        Assert.Equal(f.Model.Embed(["text"], EmbeddingTask.Classification, query.Instruction)[0], ServerHarness.Floats(c)[0]);

        await using var s = await ServerHarness.StartAsync(loopback: false, new RwkvServerOptions { MaxInputTokens = 8, MaxBatchTokens = 64, AutoTruncate = true });
        // --auto-truncate: a long input is cut without asking; "truncate": false still refuses.
        const string text = "one two three four five six seven eight nine ten eleven twelve";
        var (ok, _) = await s.PostAsync("/embed", JsonSerializer.Serialize(new { inputs = text }));
        Assert.Equal(HttpStatusCode.OK, ok);
        var (refused, _) = await s.PostAsync("/embed", JsonSerializer.Serialize(new { inputs = text, truncate = false }));
        Assert.Equal((HttpStatusCode)422, refused);
    }

    [Fact]
    public async Task Api_keys_guard_every_route_but_health_in_each_apis_error_shape()
    {
        await using var s = await ServerHarness.StartAsync(loopback: true, new RwkvServerOptions { ApiKeys = ["k-one", "k-two"], CorsAllowOrigins = ["http://app.example"] });
        Assert.Equal(HttpStatusCode.OK, (await s.Client.GetAsync("/health")).StatusCode);

        async Task<(HttpStatusCode, JsonElement)> Send(HttpMethod method, string path, string? key, string? json = null)
        {
            using var request = new HttpRequestMessage(method, path);
            if (json != null) request.Content = ServerHarness.Json(json);
            if (key != null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            using var response = await s.Client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
        }

        foreach (var key in new string?[] { null, "wrong", "k-one-and-more" })
        {
            var (st, tei) = await Send(HttpMethod.Post, "/embed", key, "{\"inputs\": \"a\"}");
            Assert.Equal(HttpStatusCode.Unauthorized, st);
            Assert.Equal("Unauthorized", tei.GetProperty("error_type").GetString());
            var (st2, oai) = await Send(HttpMethod.Post, "/v1/embeddings", key, "{\"input\": \"a\"}");
            Assert.Equal(HttpStatusCode.Unauthorized, st2);
            Assert.Equal("invalid_api_key", oai.GetProperty("error").GetProperty("code").GetString());
            var (st3, co) = await Send(HttpMethod.Post, "/v2/rerank", key, "{\"query\": \"q\", \"documents\": [\"a\"]}");
            Assert.Equal(HttpStatusCode.Unauthorized, st3);
            Assert.True(co.TryGetProperty("message", out _));
            foreach (var path in new[] { "/info", "/metrics", "/v1/models" })
                Assert.Equal(HttpStatusCode.Unauthorized, (await Send(HttpMethod.Get, path, key)).Item1);
        }
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Post, "/embed", "k-two", "{\"inputs\": \"a\"}")).Item1);
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Get, "/v1/models", "k-one")).Item1);

        // CORS: an allowed origin is echoed, a preflight answered; another origin gets no CORS header.
        using (var request = new HttpRequestMessage(HttpMethod.Options, "/v1/embeddings"))
        {
            request.Headers.Add("Origin", "http://app.example");
            request.Headers.Add("Access-Control-Request-Method", "POST");
            using var pre = await s.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.NoContent, pre.StatusCode);
            Assert.Equal("http://app.example", pre.Headers.GetValues("Access-Control-Allow-Origin").Single());
            Assert.Contains("authorization", pre.Headers.GetValues("Access-Control-Allow-Headers").Single());
        }
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/health"))
        {
            request.Headers.Add("Origin", "http://evil.example");
            request.Headers.Add("x-request-id", "req-42");
            using var r = await s.Client.SendAsync(request);
            Assert.False(r.Headers.Contains("Access-Control-Allow-Origin"));
            Assert.Equal("req-42", r.Headers.GetValues("x-request-id").Single());
        }
    }
}
