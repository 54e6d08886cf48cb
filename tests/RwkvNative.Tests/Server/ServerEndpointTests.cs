using System.Net;
using System.Runtime.InteropServices;
using System.Text.Json;
using RwkvNative.Backends;
using RwkvNative.Server;

namespace RwkvNative.Tests.Server;

/// <summary>Every endpoint against direct API calls, in-process (TestServer) and over loopback (Kestrel).</summary>
public sealed class ServerEndpointTests
{
    private static readonly string[] Texts =
    [
        "The EOS token is used to mark the end of a sentence.",
        "Apples are red and delicious fruits.",
        "",
        "数据库索引可以加快查询速度。",
    ];

    private const string Query = "What represents the end of a sequence?";

    private static float[] Normalized(float[] v)
    {
        var c = (float[])v.Clone();
        EmbeddingMath.Normalize(c);
        return c;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Tei_embed_returns_the_api_numbers_raw_or_normalized(bool loopback)
    {
        await using var s = await ServerHarness.StartAsync(loopback);
        var model = ServerHarness.Tiny.Model;
        var direct = model.Embed(Texts);

        var (status, body) = await s.PostAsync("/embed", JsonSerializer.Serialize(new { inputs = Texts, normalize = false }));
        Assert.Equal(HttpStatusCode.OK, status);
        var raw = ServerHarness.Floats(body);
        Assert.Equal(direct.Length, raw.Length);
        for (int i = 0; i < raw.Length; i++) Assert.Equal(direct[i], raw[i]);

        // normalize defaults to true (as TEI): unit length, the same direction.
        (status, body) = await s.PostAsync("/embed", JsonSerializer.Serialize(new { inputs = Texts[0] }));
        Assert.Equal(HttpStatusCode.OK, status);
        var unit = ServerHarness.Floats(body);
        Assert.Single(unit);
        Assert.Equal(Normalized(direct[0]), unit[0]);
        Assert.Equal(1.0, Math.Sqrt(unit[0].Sum(x => (double)x * x)), 5);

        // The task head is selectable.
        (status, body) = await s.PostAsync("/embed", """{"inputs": ["Apples are red."], "normalize": false, "task": "cls"}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(model.Embed("Apples are red.", EmbeddingTask.Classification), ServerHarness.Floats(body)[0]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Tei_rerank_is_sorted_by_score_and_matches_the_api(bool loopback)
    {
        await using var s = await ServerHarness.StartAsync(loopback);
        var expected = ServerHarness.Tiny.Reranker.Score(Query, Texts);

        var (status, body) = await s.PostAsync("/rerank", JsonSerializer.Serialize(new { query = Query, texts = Texts, return_text = true }));
        Assert.Equal(HttpStatusCode.OK, status);
        var items = body.EnumerateArray().ToArray();
        Assert.Equal(Texts.Length, items.Length);
        Assert.Equal(Enumerable.Range(0, Texts.Length), items.Select(i => i.GetProperty("index").GetInt32()).Order());
        for (int k = 0; k < items.Length; k++)
        {
            int i = items[k].GetProperty("index").GetInt32();
            Assert.Equal(expected[i].Score, items[k].GetProperty("score").GetSingle());
            Assert.Equal(Texts[i], items[k].GetProperty("text").GetString());
            if (k > 0) Assert.True(items[k - 1].GetProperty("score").GetSingle() >= items[k].GetProperty("score").GetSingle());
        }

        (status, body) = await s.PostAsync("/rerank", JsonSerializer.Serialize(new { query = Query, texts = Texts, raw_scores = true }));
        Assert.Equal(HttpStatusCode.OK, status);
        foreach (var item in body.EnumerateArray())
        {
            Assert.Equal(expected[item.GetProperty("index").GetInt32()].Logit, item.GetProperty("score").GetSingle());
            Assert.False(item.TryGetProperty("text", out _));
        }
    }

    [Fact]
    public async Task OpenAI_embeddings_in_float_and_base64_agree_with_the_api()
    {
        await using var s = await ServerHarness.StartAsync(loopback: false);
        var model = ServerHarness.Tiny.Model;
        var direct = model.Embed(Texts);
        long tokens = Texts.Sum(t => (long)model.Tokenizer.Encode(t, addEos: true).Length);

        var (status, body) = await s.PostAsync("/v1/embeddings", JsonSerializer.Serialize(new { input = Texts, model = "anything" }));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("list", body.GetProperty("object").GetString());
        Assert.Equal("tiny", body.GetProperty("model").GetString());
        Assert.Equal(tokens, body.GetProperty("usage").GetProperty("prompt_tokens").GetInt64());
        var data = body.GetProperty("data").EnumerateArray().ToArray();
        for (int i = 0; i < Texts.Length; i++)
        {
            Assert.Equal("embedding", data[i].GetProperty("object").GetString());
            Assert.Equal(i, data[i].GetProperty("index").GetInt32());
            Assert.Equal(Normalized(direct[i]), data[i].GetProperty("embedding").EnumerateArray().Select(x => x.GetSingle()).ToArray());
        }

        (status, body) = await s.PostAsync("/v1/embeddings", JsonSerializer.Serialize(new { input = Texts[1], encoding_format = "base64" }));
        Assert.Equal(HttpStatusCode.OK, status);
        var bytes = Convert.FromBase64String(body.GetProperty("data")[0].GetProperty("embedding").GetString()!);
        Assert.Equal(model.Config.Channels * 4, bytes.Length);
        var decoded = new float[model.Config.Channels];
        for (int i = 0; i < decoded.Length; i++) decoded[i] = BitConverter.ToSingle(bytes, i * 4); // little-endian float32
        Assert.Equal(Normalized(direct[1]), decoded);
        Assert.Equal(MemoryMarshal.AsBytes(Normalized(direct[1]).AsSpan()).ToArray(), bytes);
    }

    [Fact]
    public async Task Cohere_rerank_keeps_the_top_n_best_first()
    {
        await using var s = await ServerHarness.StartAsync(loopback: false);
        var expected = ServerHarness.Tiny.Reranker.Score(Query, Texts);
        var best = expected.OrderByDescending(e => e.Logit).ThenBy(e => e.Index).Take(2).ToArray();

        var body0 = JsonSerializer.Serialize(new { query = Query, documents = new object[] { Texts[0], new { text = Texts[1] }, Texts[2], Texts[3] }, top_n = 2, return_documents = true });
        var (status, body) = await s.PostAsync("/v1/rerank", body0);
        Assert.Equal(HttpStatusCode.OK, status);
        var results = body.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(2, results.Length);
        for (int k = 0; k < 2; k++)
        {
            Assert.Equal(best[k].Index, results[k].GetProperty("index").GetInt32());
            Assert.Equal(best[k].Score, results[k].GetProperty("relevance_score").GetSingle());
            Assert.Equal(Texts[best[k].Index], results[k].GetProperty("document").GetProperty("text").GetString());
        }
        Assert.True(body.GetProperty("usage").GetProperty("total_tokens").GetInt64() > 0);
    }

    [Fact]
    public async Task Malformed_json_and_wrong_types_get_each_apis_status_and_body_naming_the_field()
    {
        await using var s = await ServerHarness.StartAsync(loopback: false);
        (string Path, string Body, string Field)[] cases =
        [
            ("/embed", "{\"inputs\": [\"a\",", "malformed JSON"),
            ("/embed", "[1, 2]", "JSON object"),
            ("/embed", "{\"inputs\": 5}", "\"inputs\""),
            ("/embed", "{\"inputs\": [\"a\", 3]}", "\"inputs[1]\""),
            ("/embed", "{\"inputs\": \"a\", \"normalize\": \"yes\"}", "\"normalize\""),
            ("/embed", "{\"inputs\": \"a\", \"truncation_direction\": \"Up\"}", "\"truncation_direction\""),
            ("/embed", "{\"inputs\": \"a\", \"dimensions\": 64}", "\"dimensions\""),
            ("/embed", "{\"inputs\": []}", "\"inputs\" is empty"),
            ("/embed", "{\"text\": \"a\"}", "\"inputs\""),
            ("/rerank", "{\"query\": 1, \"texts\": [\"a\"]}", "\"query\""),
            ("/rerank", "{\"query\": \"q\", \"texts\": \"a\"}", "\"texts\""),
            ("/v1/rerank", "{\"query\": \"q\", \"documents\": [{\"title\": \"a\"}]}", "\"documents[0].text\""),
            ("/v1/rerank", "{\"query\": \"q\", \"documents\": [\"a\"], \"top_n\": -1}", "\"top_n\""),
        ];
        foreach (var (path, json, field) in cases)
        {
            var (status, body) = await s.PostAsync(path, json);
            if (path.StartsWith("/v1/", StringComparison.Ordinal))
            {
                // Cohere's error shape {"message"} and 400 on its rerank route.
                Assert.True(status == HttpStatusCode.BadRequest, $"{path} {json}: {status}");
                Assert.Contains(field, body.GetProperty("message").GetString());
                continue;
            }
            // TEI's mapping: Validation 422, Empty 400; TEI's error type names.
            bool empty = field.Contains("empty");
            Assert.True(status == (empty ? HttpStatusCode.BadRequest : (HttpStatusCode)422), $"{path} {json}: {status}");
            Assert.Contains(field, body.GetProperty("error").GetString());
            Assert.Equal(empty ? "Empty" : "Validation", body.GetProperty("error_type").GetString());
        }
        // OpenAI routes answer in OpenAI's error shape, with the field as "param".
        // OpenAI's SDKs raise BadRequestError on 400 with type invalid_request_error.
        var (st, b) = await s.PostAsync("/v1/embeddings", "{\"input\": \"a\", \"encoding_format\": \"hex\"}");
        Assert.Equal(HttpStatusCode.BadRequest, st);
        Assert.Equal("encoding_format", b.GetProperty("error").GetProperty("param").GetString());
        Assert.Equal("invalid_request_error", b.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal("invalid_value", b.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("\"encoding_format\"", b.GetProperty("error").GetProperty("message").GetString());
        (st, b) = await s.PostAsync("/v1/embeddings", "{\"input\": [[1, 2, \"x\"]]}");
        Assert.Equal(HttpStatusCode.BadRequest, st);
        Assert.Equal("input[0][2]", b.GetProperty("error").GetProperty("param").GetString());
    }

    [Fact]
    public async Task Too_long_inputs_get_422_unless_truncated_and_truncation_keeps_the_first_tokens_and_eos()
    {
        await using var s = await ServerHarness.StartAsync(loopback: false,
            new RwkvServerOptions { MaxInputTokens = 8, MaxBatchTokens = 64, MaxClientBatchSize = 3 });
        var model = ServerHarness.Tiny.Model;
        const string text = "one two three four five six seven eight nine ten eleven twelve";
        var ids = model.Tokenizer.Encode(text, addEos: true);
        Assert.True(ids.Length > 8);

        var (status, body) = await s.PostAsync("/embed", JsonSerializer.Serialize(new { inputs = new[] { "short", text } }));
        Assert.Equal((HttpStatusCode)422, status); // TEI: Validation
        Assert.Contains("\"inputs[1]\"", body.GetProperty("error").GetString());
        Assert.Contains("truncate", body.GetProperty("error").GetString());

        (status, body) = await s.PostAsync("/embed", JsonSerializer.Serialize(new { inputs = text }));
        Assert.Equal((HttpStatusCode)422, status);
        Assert.StartsWith($"input \"inputs\" has {ids.Length} tokens", body.GetProperty("error").GetString());
        using (var raw = await s.Client.PostAsync("/embed", ServerHarness.Json(JsonSerializer.Serialize(new { inputs = text }))))
        {
            var rawText = await raw.Content.ReadAsStringAsync();
            Assert.Contains("""\"truncate\": true""", rawText); // relaxed escaping: \" rather than \u0022
            Assert.DoesNotContain("\\u0022", rawText);
        }

        (status, body) = await s.PostAsync("/embed", JsonSerializer.Serialize(new { inputs = text, truncate = true, normalize = false }));
        Assert.Equal(HttpStatusCode.OK, status);
        int[] right = [.. ids[..7], 65535];
        Assert.Equal(model.EmbedTokens([right])[0], ServerHarness.Floats(body)[0]);

        (status, body) = await s.PostAsync("/embed", JsonSerializer.Serialize(new { inputs = text, truncate = true, normalize = false, truncation_direction = "Left" }));
        Assert.Equal(HttpStatusCode.OK, status);
        int[] left = [.. ids[^8..^1], 65535];
        Assert.Equal(model.EmbedTokens([left])[0], ServerHarness.Floats(body)[0]);

        // Rerank pairs are too long here whatever the document; with truncate the query part must still fit.
        (status, _) = await s.PostAsync("/rerank", JsonSerializer.Serialize(new { query = "q", texts = new[] { "d" } }));
        Assert.Equal((HttpStatusCode)422, status);

        // More inputs than --max-client-batch-size.
        (status, body) = await s.PostAsync("/embed", JsonSerializer.Serialize(new { inputs = new[] { "a", "b", "c", "d" } }));
        Assert.Equal((HttpStatusCode)422, status);
        Assert.Contains("max-client-batch-size", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Rerank_truncation_cuts_the_document_and_keeps_the_query()
    {
        await using var s = await ServerHarness.StartAsync(loopback: false, new RwkvServerOptions { MaxInputTokens = 40, MaxBatchTokens = 64 });
        var f = ServerHarness.Tiny;
        string doc = string.Join(' ', Enumerable.Range(0, 40).Select(i => $"w{i}"));
        var (status, body) = await s.PostAsync("/rerank", JsonSerializer.Serialize(new { query = "q?", texts = new[] { doc }, truncate = true, raw_scores = true }));
        Assert.Equal(HttpStatusCode.OK, status);
        var tokens = InputTokens.ForRerank(f.Model.Tokenizer, "q?", doc, "texts[0]", 40, truncate: true);
        Assert.Equal(40, tokens.Length);
        Assert.Equal(65535, tokens[^1]);
        var tail = f.Model.Tokenizer.Encode("\nQuery: q?");
        Assert.Equal(tail, tokens[^(tail.Length + 1)..^1]);
        var logit = f.Reranker.LogitsOf(f.Model.Forward([tokens]).State)[0];
        Assert.Equal(logit, body[0].GetProperty("score").GetSingle());
    }

    [Fact]
    public async Task Health_info_and_metrics_describe_the_server()
    {
        await using var s = await ServerHarness.StartAsync(loopback: true);
        var f = ServerHarness.Tiny;
        Assert.Equal(HttpStatusCode.OK, (await s.Client.GetAsync("/health")).StatusCode);

        var info = JsonDocument.Parse(await s.Client.GetStringAsync("/info")).RootElement;
        Assert.Equal("tiny", info.GetProperty("model_id").GetString());
        Assert.Equal(f.Model.Identity, info.GetProperty("model_sha").GetString());
        Assert.Equal(f.Model.Config.Layers, info.GetProperty("layers").GetInt32());
        Assert.Equal(f.Model.Config.Channels, info.GetProperty("dimensions").GetInt32());
        Assert.Equal(f.Model.DeviceName, info.GetProperty("device").GetString());
        Assert.Equal(8192, info.GetProperty("max_input_length").GetInt32());
        Assert.Equal(f.Reranker.Config.Blocks.Layers, info.GetProperty("reranker").GetProperty("layers").GetInt32());
        Assert.Equal(RwkvServer.Version, info.GetProperty("version").GetString());

        for (int i = 0; i < 3; i++) await s.PostAsync("/embed", "{\"inputs\": [\"a\", \"b c\"]}");
        await s.PostAsync("/embed", "{\"inputs\": 1}");
        var metrics = await s.Client.GetAsync("/metrics");
        Assert.StartsWith("text/plain", metrics.Content.Headers.ContentType!.ToString());
        var text = await metrics.Content.ReadAsStringAsync();
        Assert.Contains("rwkv_requests_total{route=\"/embed\",code=\"200\"} 3\n", text);
        Assert.Contains("rwkv_requests_total{route=\"/embed\",code=\"422\"} 1\n", text);
        Assert.Contains("rwkv_request_duration_seconds_count{route=\"/embed\"} 4\n", text);
        Assert.Contains("rwkv_inputs_total 6\n", text);
        long tokens = 3 * (f.Model.Tokenizer.Encode("a", true).Length + f.Model.Tokenizer.Encode("b c", true).Length);
        Assert.Contains($"rwkv_input_tokens_total {tokens}\n", text);
        Assert.Contains("rwkv_batch_size_bucket{kind=\"embed\",le=\"+Inf\"}", text);
        Assert.Contains("rwkv_queue_depth 0\n", text);
        Assert.Contains("# TYPE rwkv_batch_tokens histogram\n", text);
        // Every sequence went through exactly one batch.
        var sum = text.Split('\n').Single(l => l.StartsWith("rwkv_batch_size_sum{kind=\"embed\"}", StringComparison.Ordinal));
        Assert.Equal("6", sum.Split(' ')[1]);
    }

    [Fact]
    public async Task Without_a_reranker_rerank_routes_answer_400()
    {
        await using var s = await ServerHarness.StartAsync(loopback: false, withReranker: false);
        var (status, body) = await s.PostAsync("/rerank", "{\"query\": \"q\", \"texts\": [\"a\"]}");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("--reranker", body.GetProperty("error").GetString());
        Assert.False(JsonDocument.Parse(await s.Client.GetStringAsync("/info")).RootElement.TryGetProperty("reranker", out _));
    }
}
