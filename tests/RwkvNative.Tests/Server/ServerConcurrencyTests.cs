using System.Net;
using System.Text.Json;
using RwkvNative.Backends;
using RwkvNative.Server;

namespace RwkvNative.Tests.Server;

/// <summary>Many clients at once: batching, admission (429), graceful shutdown.</summary>
public sealed class ServerConcurrencyTests
{
    private static string[] Inputs(int request, Random rng)
    {
        int n = 1 + request % 4;
        var texts = new string[n];
        for (int i = 0; i < n; i++)
            texts[i] = $"request {request} input {i}: " + string.Join(' ', Enumerable.Range(0, rng.Next(1, 80)).Select(k => $"w{(k * 31 + request) % 97}"));
        return texts;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Concurrent_requests_get_exactly_their_own_results(bool loopback)
    {
        await using var s = await ServerHarness.StartAsync(loopback, new RwkvServerOptions { MaxBatchTokens = 512, MaxInputTokens = 512 });
        var f = ServerHarness.Tiny;
        const int requests = 48;
        var rng = new Random(11);
        var inputs = Enumerable.Range(0, requests).Select(r => Inputs(r, rng)).ToArray();
        string query = "which input is it?";
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));

        var tasks = inputs.Select((texts, r) => Task.Run(async () =>
        {
            if (r % 3 == 2)
            {
                var (st, body) = await s.PostAsync("/rerank", JsonSerializer.Serialize(new { query, texts, raw_scores = true }), timeout.Token);
                return (r, st, body);
            }
            var (status, b) = await s.PostAsync(r % 3 == 0 ? "/embed" : "/v1/embeddings",
                r % 3 == 0 ? JsonSerializer.Serialize(new { inputs = texts, normalize = false }) : JsonSerializer.Serialize(new { input = texts }), timeout.Token);
            return (r, status, b);
        }, timeout.Token)).ToArray();
        var results = await Task.WhenAll(tasks);

        int sequences = 0;
        foreach (var (r, status, body) in results)
        {
            Assert.Equal(HttpStatusCode.OK, status);
            var texts = inputs[r];
            sequences += texts.Length;
            if (r % 3 == 2)
            {
                var expected = f.Reranker.Score(query, texts);
                foreach (var item in body.EnumerateArray())
                    Assert.Equal(expected[item.GetProperty("index").GetInt32()].Logit, item.GetProperty("score").GetSingle());
                Assert.Equal(texts.Length, body.GetArrayLength());
                continue;
            }
            var direct = f.Model.Embed(texts);
            var got = r % 3 == 0
                ? ServerHarness.Floats(body)
                : body.GetProperty("data").EnumerateArray().Select(d => d.GetProperty("embedding").EnumerateArray().Select(x => x.GetSingle()).ToArray()).ToArray();
            Assert.Equal(texts.Length, got.Length);
            for (int i = 0; i < texts.Length; i++)
            {
                var want = (float[])direct[i].Clone();
                if (r % 3 != 0) EmbeddingMath.Normalize(want);
                Assert.Equal(want, got[i]);
            }
        }
        var m = s.Metrics.ToPrometheusText();
        long Sum(string kind) => long.Parse(m.Split('\n').Single(l => l.StartsWith($"rwkv_batch_size_sum{{kind=\"{kind}\"}}", StringComparison.Ordinal)).Split(' ')[1]);
        Assert.Equal(sequences, Sum("embed") + Sum("rerank"));
        Assert.Equal(0, s.Metrics.InFlight);
    }

    [Fact]
    public async Task The_batcher_packs_queued_requests_into_shared_batches_within_the_token_budget()
    {
        var f = ServerHarness.Tiny;
        var metrics = new ServerMetrics();
        using var batcher = new DynamicBatcher(f.Model, f.Reranker, maxBatchTokens: 200, metrics);
        var rng = new Random(3);
        var seqs = Enumerable.Range(0, 40).Select(r => f.Model.Tokenizer.Encode(string.Join(' ', Enumerable.Range(0, rng.Next(1, 40)).Select(k => $"t{k + r}")), addEos: true)).ToArray();
        // Enqueue every request before awaiting any: all but the first wait in the queue together.
        var jobs = seqs.Select(q => batcher.EmbedAsync([q], EmbeddingTask.Retrieval, default)).ToArray();
        var got = await Task.WhenAll(jobs);
        var direct = f.Model.EmbedTokens(seqs);
        for (int i = 0; i < seqs.Length; i++) Assert.Equal(direct[i], got[i][0]);

        var text = metrics.ToPrometheusText().Split('\n');
        long count = long.Parse(text.Single(l => l.StartsWith("rwkv_batch_size_count{kind=\"embed\"}", StringComparison.Ordinal)).Split(' ')[1]);
        long maxBucket = long.Parse(text.Single(l => l.StartsWith("rwkv_batch_tokens_bucket{kind=\"embed\",le=\"256\"}", StringComparison.Ordinal)).Split(' ')[1]);
        long tokens = seqs.Sum(q => (long)q.Length);
        Assert.True(count < seqs.Length, $"{count} batches for {seqs.Length} queued requests: nothing was batched");
        Assert.True(count >= (tokens + 199) / 200, $"{count} batches cannot hold {tokens} tokens at 200 per batch");
        Assert.Equal(count, maxBucket); // no batch above 256 tokens (the budget is 200)
    }

    [Fact]
    public async Task A_full_server_answers_429_with_retry_after_and_recovers()
    {
        await using var s = await ServerHarness.StartAsync(loopback: true, new RwkvServerOptions { MaxConcurrentRequests = 2 });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var held = new[] { new HeldContent("{\"inputs\": [\"held one\"], \"normalize\": false}"), new HeldContent("{\"inputs\": \"held two\"}") };
        var pending = held.Select(h => s.Client.PostAsync("/embed", h, timeout.Token)).ToArray();
        await Task.WhenAll(held.Select(h => h.Started));
        while (s.Metrics.InFlight < 2) await Task.Delay(5, timeout.Token);

        using (var refused = await s.Client.PostAsync("/embed", ServerHarness.Json("{\"inputs\": \"x\"}"), timeout.Token))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.Equal("1", refused.Headers.GetValues("Retry-After").Single());
            var body = JsonDocument.Parse(await refused.Content.ReadAsStringAsync(timeout.Token)).RootElement;
            Assert.Equal("Overloaded", body.GetProperty("error_type").GetString());
        }
        foreach (var h in held) h.Release();
        var done = await Task.WhenAll(pending);
        Assert.All(done, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var first = ServerHarness.Floats(JsonDocument.Parse(await done[0].Content.ReadAsStringAsync(timeout.Token)).RootElement);
        Assert.Equal(ServerHarness.Tiny.Model.Embed("held one"), first[0]);
        var (status, _) = await s.PostAsync("/embed", "{\"inputs\": \"x\"}", timeout.Token);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("rwkv_requests_rejected_overloaded_total 1\n", s.Metrics.ToPrometheusText());
    }

    [Fact]
    public async Task Shutdown_finishes_requests_in_flight()
    {
        var s = await ServerHarness.StartAsync(loopback: true);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var held = new HeldContent("{\"inputs\": [\"in flight during shutdown\"], \"normalize\": false}");
        var pending = s.Client.PostAsync("/embed", held, timeout.Token);
        await held.Started;
        while (s.Metrics.InFlight < 1) await Task.Delay(5, timeout.Token);

        var stopping = s.App.StopAsync(timeout.Token);
        await Task.Delay(200, timeout.Token);
        Assert.False(stopping.IsCompleted, "the server stopped with a request in flight");
        held.Release();
        using var response = await pending;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var got = ServerHarness.Floats(JsonDocument.Parse(await response.Content.ReadAsStringAsync(timeout.Token)).RootElement);
        Assert.Equal(ServerHarness.Tiny.Model.Embed("in flight during shutdown"), got[0]);
        await stopping;
        // Stopped: a new connection is refused.
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => s.Client.GetAsync("/health", timeout.Token));
        await s.App.DisposeAsync();
        s.Client.Dispose();
    }
}
