using System.Net;
using RwkvNative.Server;

namespace RwkvNative.Tests.Server;

/// <summary><c>--otlp-endpoint</c>: each request is exported over OTLP/HTTP as a server span with its request id and tokenize/queue/compute spans inside.</summary>
public sealed class TracingTests
{
    private static async Task Send(ServerHarness s, string path, string json, string requestId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = ServerHarness.Json(json) };
        request.Headers.Add("x-request-id", requestId);
        using var response = await s.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Requests_are_exported_as_otlp_spans_with_the_request_id_and_inner_spans()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        var s = await ServerHarness.StartAsync(loopback: false, new RwkvServerOptions { OtlpEndpoint = receiver.Address, ServiceName = "rwkv-emb-test" });
        await using (s)
        {
            await Send(s, "/embed", """{"inputs": ["hello", "world"]}""", "trace-embed-1");
            await Send(s, "/rerank", """{"query": "end", "texts": ["a", "b"]}""", "trace-rerank-2");
        }
        // Disposing the server flushed the exporter: the spans are at the receiver now.
        Assert.NotEmpty(receiver.Posts);
        Assert.All(receiver.Posts, p => Assert.Equal("application/x-protobuf", p.ContentType));
        var (spans, resource) = receiver.Decode();
        Assert.Equal("rwkv-emb-test", resource.GetValueOrDefault("service.name"));
        Assert.Equal(RwkvServer.Version, resource.GetValueOrDefault("service.version"));

        foreach (var (id, route) in new[] { ("trace-embed-1", "/embed"), ("trace-rerank-2", "/rerank") })
        {
            var request = Assert.Single(spans, x => x.Attributes.GetValueOrDefault("rwkv.request_id") == id);
            Assert.Equal(route, request.Attributes.GetValueOrDefault("http.route"));
            var inner = spans.Where(x => x.ParentSpanId == request.SpanId).ToList();
            Assert.All(inner, x => Assert.Equal(request.TraceId, x.TraceId));
            Assert.Equal(["compute", "queue", "tokenize"], inner.Select(x => x.Name).Order(StringComparer.Ordinal));
        }
    }
}
