using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using RwkvNative.Retrieval;
using RwkvNative.Server;
using RwkvNative.Tests.Reference;

namespace RwkvNative.Tests.Server;

/// <summary>A running server over the tiny fixture: in-process (TestServer) or real Kestrel on a loopback port.</summary>
internal sealed class ServerHarness : IAsyncDisposable
{
    private ServerHarness(WebApplication app, HttpClient client)
    {
        App = app;
        Client = client;
    }

    public WebApplication App { get; }
    public HttpClient Client { get; }
    public static LoadedFixtures.Loaded Tiny => LoadedFixtures.Get("tiny-bf16", "cpu");

    internal ServerMetrics Metrics => App.Services.GetRequiredService<ServerMetrics>();

    /// <summary>
    /// Starts a server (with <paramref name="retriever"/>: the store-backed <c>/search</c> and rerank-by-id routes);
    /// <paramref name="configure"/> may change the builder first (Kestrel limits, log providers).
    /// </summary>
    public static async Task<ServerHarness> StartAsync(bool loopback, RwkvServerOptions? options = null, bool withReranker = true,
        Action<WebApplicationBuilder>? configure = null, DocumentRetriever? retriever = null)
    {
        var f = Tiny;
        options ??= new RwkvServerOptions();
        var builder = RwkvServer.CreateBuilder(f.Model, withReranker ? f.Reranker : null, options with { Host = "127.0.0.1", Port = 0, ModelId = "tiny" }, retriever);
        if (!loopback) builder.WebHost.UseTestServer();
        configure?.Invoke(builder);
        var app = builder.Build();
        app.MapRwkvEndpoints();
        await app.StartAsync();
        HttpClient client;
        if (loopback)
        {
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
            Assert.StartsWith("http://127.0.0.1:", address);
            client = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(60) };
        }
        else client = app.GetTestClient();
        return new ServerHarness(app, client);
    }

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(string path, string json, CancellationToken ct = default) =>
        Post(Client, path, json, ct);

    public static async Task<(HttpStatusCode Status, JsonElement Body)> Post(HttpClient client, string path, string json, CancellationToken ct = default)
    {
        using var response = await client.PostAsync(path, Json(json), ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    public static float[][] Floats(JsonElement array) =>
        array.EnumerateArray().Select(e => e.EnumerateArray().Select(x => x.GetSingle()).ToArray()).ToArray();

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
