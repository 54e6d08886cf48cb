using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RwkvNative.Backends;
using RwkvNative.Server;
using RwkvNative.Server.Json;

namespace RwkvNative.Tests.Server;

/// <summary>Hostile bodies, limits, the drain at shutdown, token-budget admission and fairness of the batcher.</summary>
public sealed class ServerRobustnessTests
{
    private static readonly string[] Routes = ["/embed", "/", "/rerank", "/v1/embeddings", "/v1/rerank", "/v2/rerank", "/tokenize"];

    private static string BodyFor(string route, string text) => route switch
    {
        "/embed" => $"{{\"inputs\": [{text}]}}",
        "/rerank" => $"{{\"query\": \"q\", \"texts\": [{text}]}}",
        "/v1/embeddings" => $"{{\"input\": {text}}}",
        "/" or "/tokenize" => $"{{\"inputs\": {text}}}",
        _ => $"{{\"query\": \"q\", \"documents\": [{text}]}}",
    };

    [Fact]
    public async Task Invalid_utf8_and_lone_surrogates_answer_422_on_every_route_and_log_no_error()
    {
        var logs = new CapturedLogs();
        await using var s = await ServerHarness.StartAsync(loopback: true, configure: b => b.Logging.AddProvider(logs));
        foreach (var route in Routes)
        {
            foreach (var bad in new[] { "INVALID", "\"\\ud800 lone\"", "\"\\udc00\"" })
            {
                byte[] body;
                if (bad == "INVALID")
                {
                    var parts = BodyFor(route, "\"abc@def\"").Split('@');
                    body = [.. Encoding.UTF8.GetBytes(parts[0]), 0xC3, 0x28, 0xFF, .. Encoding.UTF8.GetBytes(parts[1])];
                }
                else body = Encoding.UTF8.GetBytes(BodyFor(route, bad));
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                using var response = await s.Client.PostAsync(route, content);
                var text = await response.Content.ReadAsStringAsync();
                // TEI routes: 422 Validation; OpenAI and Cohere routes: 400, as their APIs answer a bad request.
                var expected = route.StartsWith("/v", StringComparison.Ordinal) ? HttpStatusCode.BadRequest : HttpStatusCode.UnprocessableEntity;
                Assert.True(response.StatusCode == expected, $"{route} {bad}: {(int)response.StatusCode} {text}");
                Assert.DoesNotContain("InvalidOperationException", text);
            }
        }
        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Error);
    }

    [Fact]
    public async Task A_body_over_the_payload_limit_or_a_huge_content_length_answers_413()
    {
        await using var s = await ServerHarness.StartAsync(loopback: true, new RwkvServerOptions { PayloadLimit = 1000 });
        string big = "{\"inputs\": \"" + new string('a', 5000) + "\"}";
        var (status, body) = await s.PostAsync("/embed", big);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("--payload-limit", body.GetProperty("error").GetString());

        // Chunked (no Content-Length): the server counts the bytes as they arrive.
        var raw = await RawAsync(s, $"POST /embed HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{big.Length:x}\r\n{big}\r\n0\r\n\r\n", TimeSpan.FromSeconds(20));
        Assert.StartsWith("HTTP/1.1 413", raw);
        Assert.Contains("--payload-limit", raw);

        // A Content-Length of 100 GB with no body behind it is refused at once, not read.
        var reply = await RawAsync(s, "POST /embed HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000000000\r\n\r\n{\"in", TimeSpan.FromSeconds(20));
        Assert.StartsWith("HTTP/1.1 413", reply);
        var (ok, _) = await s.PostAsync("/embed", "{\"inputs\": \"small\"}");
        Assert.Equal(HttpStatusCode.OK, ok);
    }

    [Fact]
    public async Task A_stalled_body_answers_408()
    {
        await using var s = await ServerHarness.StartAsync(loopback: true, configure: b => b.WebHost.ConfigureKestrel(k =>
            k.Limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 100, gracePeriod: TimeSpan.FromSeconds(2))));
        var reply = await RawAsync(s, "POST /embed HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{\"inputs\": \"stall", TimeSpan.FromSeconds(30));
        Assert.StartsWith("HTTP/1.1 408", reply);
        Assert.Contains("too slowly", reply);
    }

    [Fact]
    public async Task Health_answers_503_while_draining_and_the_requests_in_flight_finish()
    {
        var s = await ServerHarness.StartAsync(loopback: true);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var held = new HeldContent("{\"inputs\": [\"draining\"], \"normalize\": false}");
        var pending = s.Client.PostAsync("/embed", held, timeout.Token);
        await held.Started;
        while (s.Metrics.InFlight < 1) await Task.Delay(5, timeout.Token);

        var stopping = s.App.StopAsync(timeout.Token);
        using var probe = new HttpClient { BaseAddress = s.Client.BaseAddress };
        HttpStatusCode health;
        do
        {
            using var r = await probe.GetAsync("/health", timeout.Token); // the listener is still open
            health = r.StatusCode;
        } while (health == HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health);
        var (refused, body) = await ServerHarness.Post(probe, "/embed", "{\"inputs\": \"new work\"}", timeout.Token);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused);
        Assert.Equal("Unhealthy", body.GetProperty("error_type").GetString());
        Assert.False(stopping.IsCompleted);

        held.Release();
        using var response = await pending;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await stopping;
        Assert.Equal(0, s.App.Services.GetRequiredService<ShutdownDrain>().UnfinishedRequests);
        await s.App.DisposeAsync();
        s.Client.Dispose();
    }

    [Fact]
    public async Task An_expired_shutdown_timeout_counts_and_logs_the_unfinished_requests()
    {
        var logs = new CapturedLogs();
        var s = await ServerHarness.StartAsync(loopback: true, new RwkvServerOptions { ShutdownTimeout = TimeSpan.FromSeconds(1) },
            configure: b => b.Logging.ClearProviders().AddProvider(logs)); // the expected error stays out of the test output
        var held = new HeldContent("{\"inputs\": [\"never finished\"]}");
        var pending = s.Client.PostAsync("/embed", held);
        await held.Started;
        while (s.Metrics.InFlight < 1) await Task.Delay(5);

        await s.App.StopAsync();
        Assert.Equal(1, s.App.Services.GetRequiredService<ShutdownDrain>().UnfinishedRequests);
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("1 request(s) unfinished"));
        held.Release();
        await Assert.ThrowsAnyAsync<Exception>(async () => (await pending).EnsureSuccessStatusCode());
        await s.App.DisposeAsync();
        s.Client.Dispose();
    }

    private static int[][] Sequences(int count, int words, int seed) =>
        Enumerable.Range(0, count).Select(i => ServerHarness.Tiny.Model.Tokenizer.Encode(
            string.Join(' ', Enumerable.Range(0, words).Select(k => $"w{(k * 7 + i + seed) % 101}")), addEos: true)).ToArray();

    [Fact]
    public async Task A_small_request_is_answered_between_the_batches_of_huge_ones()
    {
        var f = ServerHarness.Tiny;
        using var batcher = new DynamicBatcher(f.Model, f.Reranker, maxBatchTokens: 256, new ServerMetrics());
        var huge1 = Sequences(60, 60, 1);
        var huge2 = Sequences(60, 60, 2);
        var a = batcher.EmbedAsync(huge1, EmbeddingTask.Retrieval, default);
        var b = batcher.EmbedAsync(huge2, EmbeddingTask.Retrieval, default);
        var small = batcher.EmbedAsync(Sequences(1, 3, 3), EmbeddingTask.Retrieval, default);
        await small;
        Assert.False(a.IsCompleted || b.IsCompleted, "the small request waited until a huge one had finished");
        var got = await a;
        Assert.Equal(f.Model.EmbedTokens(huge1), got);
        Assert.Equal(f.Model.EmbedTokens(huge2), await b);
        Assert.Equal(0, batcher.QueuedSequences);
    }

    [Fact]
    public async Task The_token_budget_refuses_work_beyond_it_with_429_and_frees_it_afterwards()
    {
        var f = ServerHarness.Tiny;
        var metrics = new ServerMetrics();
        var huge = Sequences(80, 60, 4);
        long hugeTokens = huge.Sum(q => (long)q.Length);
        using var batcher = new DynamicBatcher(f.Model, f.Reranker, maxBatchTokens: 256, metrics, maxQueuedTokens: hugeTokens + 10);

        var tooBig = await Assert.ThrowsAsync<ApiException>(() => batcher.EmbedAsync(Sequences(90, 60, 5), EmbeddingTask.Retrieval, default));
        Assert.Equal(413, tooBig.TeiStatus);
        Assert.Contains("--max-queued-tokens", tooBig.Message);

        var running = batcher.EmbedAsync(huge, EmbeddingTask.Retrieval, default);
        var refused = await Assert.ThrowsAsync<ApiException>(() => batcher.EmbedAsync(Sequences(4, 20, 6), EmbeddingTask.Retrieval, default));
        Assert.Equal(429, refused.TeiStatus);
        Assert.Equal(ErrorKind.Overloaded, refused.Kind);
        Assert.Equal(1, refused.RetryAfterSeconds);
        await running;
        Assert.Equal(0, metrics.QueuedTokens);
        var after = await batcher.EmbedAsync(Sequences(4, 20, 6), EmbeddingTask.Retrieval, default);
        Assert.Equal(4, after.Length);
    }

    [Fact]
    public async Task Work_that_waits_longer_than_the_queue_timeout_answers_429_and_leaves_the_queue()
    {
        var f = ServerHarness.Tiny;
        var metrics = new ServerMetrics();
        using var batcher = new DynamicBatcher(f.Model, f.Reranker, maxBatchTokens: 8192, metrics, queueTimeout: TimeSpan.FromMilliseconds(100));
        // One batch of one long sequence keeps the worker busy well past the timeout.
        var longOne = Sequences(1, 4000, 7);
        var running = batcher.EmbedAsync(longOne, EmbeddingTask.Retrieval, default);
        while (batcher.QueuedSequences > 0) await Task.Delay(1);
        var waited = await Assert.ThrowsAsync<ApiException>(() => batcher.RerankAsync(Sequences(2, 5, 8), default));
        Assert.Equal(429, waited.TeiStatus);
        Assert.Contains("--queue-timeout", waited.Message);
        Assert.Equal(0, batcher.QueuedSequences);
        await running;
        Assert.Equal(0, metrics.QueuedTokens);
    }

    /// <summary>Sends <paramref name="request"/> on a raw connection and returns what the server answers until it closes or <paramref name="wait"/> ends.</summary>
    private static async Task<string> RawAsync(ServerHarness s, string request, TimeSpan wait)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(s.Client.BaseAddress!.Host, s.Client.BaseAddress.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var cts = new CancellationTokenSource(wait);
        var buffer = new byte[8192];
        var sb = new StringBuilder();
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, cts.Token)) > 0)
            {
                sb.Append(Encoding.UTF8.GetString(buffer, 0, n));
                if (sb.ToString().Contains("\r\n\r\n") && sb.ToString().Contains('}')) break;
            }
        }
        catch (OperationCanceledException) { }
        catch (IOException) { }
        return sb.ToString();
    }
}
