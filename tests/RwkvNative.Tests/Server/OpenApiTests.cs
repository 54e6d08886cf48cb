using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using RwkvNative.Retrieval;
using RwkvNative.Server;
using RwkvNative.Tests.Reference;
using RwkvNative.Tests.Retrieval;

namespace RwkvNative.Tests.Server;

/// <summary>
/// <c>/openapi.json</c> is generated from the mapped endpoints and agrees with what the handlers read and write;
/// <c>/docs</c> is rendered from it and needs nothing from elsewhere.
/// </summary>
public sealed class OpenApiTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private RwkvNative.Store.DocumentStateStore? _store;
    private WebApplication? _app;
    private HttpClient? _client;
    private JsonElement _doc;

    public async ValueTask InitializeAsync()
    {
        var f = LoadedFixtures.Get("tiny-bf16", "cpu");
        var (store, index) = DocumentRetrieverTests.Build(f, _dir.Path);
        _store = store;
        var builder = RwkvServer.CreateBuilder(f.Model, f.Reranker, new RwkvServerOptions { Port = 0, ModelId = "tiny" },
            new DocumentRetriever(f.Reranker, new StoreDocumentStates(store), index));
        builder.WebHost.UseTestServer();
        _app = builder.Build();
        _app.MapRwkvEndpoints();
        await _app.StartAsync();
        _client = _app.GetTestClient();
        using var r = await _client.GetAsync("/openapi.json");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.StartsWith("application/json", r.Content.Headers.ContentType!.ToString());
        _doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        _client?.Dispose();
        if (_app != null) await _app.DisposeAsync();
        _store?.Dispose();
        _dir.Dispose();
    }

    private JsonElement Schema(JsonElement s) =>
        s.TryGetProperty("$ref", out var r) ? _doc.GetProperty("components").GetProperty("schemas").GetProperty(r.GetString()!["#/components/schemas/".Length..]) : s;

    private JsonElement Operation(string method, string path) => _doc.GetProperty("paths").GetProperty(path).GetProperty(method);

    private JsonElement RequestSchema(string path) =>
        Schema(Operation("post", path).GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema"));

    private JsonElement ResponseSchema(string method, string path) =>
        Schema(Operation(method, path).GetProperty("responses").GetProperty("200").GetProperty("content").GetProperty("application/json").GetProperty("schema"));

    [Fact]
    public void The_document_holds_every_mapped_route_and_nothing_else()
    {
        Assert.StartsWith("3.1", _doc.GetProperty("openapi").GetString());
        Assert.Equal(RwkvServer.Version, _doc.GetProperty("info").GetProperty("version").GetString());
        var mapped = _app!.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).Select(m => $"{m} {e.RoutePattern.RawText}"))
            .Where(x => !x.StartsWith("OPTIONS", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToList();
        var documented = _doc.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(m => $"{m.Name.ToUpperInvariant()} {p.Name}"))
            .Order(StringComparer.Ordinal).ToList();
        Assert.Equal(mapped, documented);
        Assert.Contains("POST /v2/rerank", documented);

        // Request bodies and answers carry the wire names and their types.
        var embed = RequestSchema("/embed");
        Assert.Contains("inputs", embed.GetProperty("required").EnumerateArray().Select(x => x.GetString()));
        Assert.True(embed.GetProperty("properties").TryGetProperty("prompt_name", out _));
        var list = ResponseSchema("post", "/v1/embeddings");
        Assert.Equal(["data", "model", "object", "usage"], list.GetProperty("properties").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        // The error body of each API is documented with its own shape.
        var openAiError = Schema(Operation("post", "/v1/embeddings").GetProperty("responses").GetProperty("400").GetProperty("content").GetProperty("application/json").GetProperty("schema"));
        Assert.True(openAiError.GetProperty("properties").TryGetProperty("error", out _));
        var teiError = Schema(Operation("post", "/embed").GetProperty("responses").GetProperty("422").GetProperty("content").GetProperty("application/json").GetProperty("schema"));
        Assert.Equal(["error", "error_type"], teiError.GetProperty("properties").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
    }

    /// <summary>A valid body for each documented POST route; the test then spoils one documented field at a time.</summary>
    private static readonly Dictionary<string, string> Valid = new()
    {
        ["/"] = """{"inputs": "hello"}""",
        ["/embed"] = """{"inputs": "hello"}""",
        ["/rerank"] = """{"query": "end", "texts": ["a", "b"]}""",
        ["/search"] = """{"query": "end", "top_k": 2}""",
        ["/tokenize"] = """{"inputs": "hello"}""",
        ["/decode"] = """{"ids": [1, 2]}""",
        ["/v1/embeddings"] = """{"input": "hello", "model": "tiny"}""",
        ["/v1/rerank"] = """{"query": "end", "documents": ["a", "b"]}""",
        ["/v2/rerank"] = """{"model": "tiny", "query": "end", "documents": ["a", "b"]}""",
    };

    [Fact]
    public async Task Every_documented_request_field_is_read_by_its_handler()
    {
        var posts = _doc.GetProperty("paths").EnumerateObject().Where(p => p.Value.TryGetProperty("post", out _)).Select(p => p.Name).ToList();
        Assert.Equal(Valid.Keys.Order(StringComparer.Ordinal), posts.Order(StringComparer.Ordinal));
        var ignored = new List<string>();
        foreach (var path in posts)
        {
            var (ok, okBody) = await ServerHarness.Post(_client!, path, Valid[path]);
            Assert.True(ok == HttpStatusCode.OK, $"{path} {Valid[path]}: {(int)ok} {okBody}");
            foreach (var field in RequestSchema(path).GetProperty("properties").EnumerateObject().Select(p => p.Name))
            {
                // A JSON object is the wrong kind for every field: a handler that reads the field refuses it, naming it.
                var body = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(Valid[path])!;
                body.Remove(path == "/rerank" && field == "ids" ? "texts" : field);
                body[field] = JsonDocument.Parse("{}").RootElement;
                var (status, answer) = await ServerHarness.Post(_client!, path, JsonSerializer.Serialize(body));
                if ((int)status is < 400 or >= 500 || !answer.ToString().Contains(field, StringComparison.Ordinal))
                    ignored.Add($"{path} {field}: {(int)status} {answer}");
            }
        }
        Assert.True(ignored.Count == 0, "documented fields the handlers do not read:\n" + string.Join('\n', ignored));
    }

    [Fact]
    public async Task Answers_carry_exactly_the_documented_fields()
    {
        async Task Check(string method, string path, string? json)
        {
            using var r = json == null ? await _client!.GetAsync(path) : await _client!.PostAsync(path, ServerHarness.Json(json));
            var body = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
            var documented = ResponseSchema(method, path).GetProperty("properties").EnumerateObject().Select(p => p.Name).ToHashSet();
            var sent = body.EnumerateObject().Select(p => p.Name).ToList();
            Assert.All(sent, name => Assert.Contains(name, documented));
        }
        await Check("get", "/info", null);
        await Check("get", "/v1/models", null);
        await Check("post", "/v1/embeddings", Valid["/v1/embeddings"]);
        await Check("post", "/v1/rerank", Valid["/v1/rerank"]);
        await Check("post", "/v2/rerank", Valid["/v2/rerank"]);
        await Check("post", "/search", Valid["/search"]);
    }

    [Fact]
    public async Task Docs_page_is_rendered_from_the_document_and_self_contained()
    {
        using var r = await _client!.GetAsync("/docs");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("text/html", r.Content.Headers.ContentType!.MediaType);
        string html = await r.Content.ReadAsStringAsync();
        foreach (var path in _doc.GetProperty("paths").EnumerateObject())
            Assert.Contains($"<span class=\"path\">{System.Net.WebUtility.HtmlEncode(path.Name)}</span>", html);
        foreach (var schema in _doc.GetProperty("components").GetProperty("schemas").EnumerateObject())
            Assert.Contains($"id=\"schema-{schema.Name}\"", html);
        Assert.Contains("<code>prompt_name</code>", html);
        // Nothing to fetch: no script, no stylesheet link, no absolute URL.
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("http://", html);
        Assert.DoesNotContain("https://", html);
    }

    [Fact]
    public async Task With_an_api_key_the_document_and_page_need_it_too()
    {
        await using var s = await ServerHarness.StartAsync(loopback: false, new RwkvServerOptions { ApiKeys = ["k1"] });
        Assert.Equal(HttpStatusCode.Unauthorized, (await s.Client.GetAsync("/openapi.json")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await s.Client.GetAsync("/docs")).StatusCode);
        s.Client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "k1");
        Assert.Equal(HttpStatusCode.OK, (await s.Client.GetAsync("/openapi.json")).StatusCode);
    }
}
