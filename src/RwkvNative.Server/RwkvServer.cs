// Builds the HTTP server: Kestrel + the endpoints of text-embeddings-inference, OpenAI and Cohere/Jina over one model.
using System.Net;
using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using RwkvNative.Server.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RwkvNative.Retrieval;
using RwkvNative.Server.OpenApi;
using RwkvNative.Server.Json.Requests;
using RwkvNative.Server.Retrieval;

namespace RwkvNative.Server;

/// <summary>
/// The embedding server: <c>POST /embed</c>, <c>/rerank</c> (text-embeddings-inference JSON), <c>/v1/embeddings</c>
/// (OpenAI), <c>/v1/rerank</c> (Cohere/Jina), <c>/search</c> (retrieve then rerank by id), <c>GET /health</c>, <c>/info</c>, <c>/metrics</c> (Prometheus). Inference
/// requests from all clients share batches through a dynamic batcher. The caller keeps ownership of the model and
/// reranker: dispose them after the application.
/// </summary>
public static class RwkvServer
{
    /// <summary>The server's version (the assembly's informational version).</summary>
    public static string Version { get; } =
        typeof(RwkvServer).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>
    /// A web application builder with Kestrel listening on <see cref="RwkvServerOptions.Host"/>:<see cref="RwkvServerOptions.Port"/>,
    /// logs on standard error and the server's services registered. Call <see cref="Build"/> for the usual case; use this to
    /// add services or swap the server (e.g. a test server) first, then build and call <see cref="MapRwkvEndpoints"/>.
    /// A <c>retrieval</c> (document store and optional vector index) enables <c>/rerank</c> by ids and <c>/search</c>.
    /// </summary>
    public static WebApplicationBuilder CreateBuilder(EmbeddingModel model, Reranker? reranker, RwkvServerOptions options, DocumentRetriever? retrieval = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var address = ParseHost(options.Host);
        builder.WebHost.UseKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = options.PayloadLimit;
            if (address == null) k.ListenLocalhost(options.Port);
            else k.Listen(address, options.Port);
        });
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = options.ShutdownTimeout);
        builder.Services.AddRwkvServer(model, reranker, options, retrieval);
        return builder;
    }

    /// <summary>The application ready to <c>RunAsync</c>: <see cref="CreateBuilder"/>, built, endpoints mapped.</summary>
    public static WebApplication Build(EmbeddingModel model, Reranker? reranker, RwkvServerOptions options, DocumentRetriever? retrieval = null)
    {
        var app = CreateBuilder(model, reranker, options, retrieval).Build();
        app.MapRwkvEndpoints();
        return app;
    }

    /// <summary>Registers the batcher, metrics and model handles the endpoints use (singletons; the batcher drains on dispose).</summary>
    public static IServiceCollection AddRwkvServer(this IServiceCollection services, EmbeddingModel model, Reranker? reranker, RwkvServerOptions options,
        DocumentRetriever? retrieval = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (reranker != null && !ReferenceEquals(reranker.Model, model))
            throw new ArgumentException("the reranker was loaded for another EmbeddingModel instance", nameof(reranker));
        if (retrieval != null && !ReferenceEquals(retrieval.Reranker, reranker))
            throw new ArgumentException("the document retriever was built over another Reranker instance than the server's", nameof(retrieval));
        if (retrieval != null) services.AddSingleton(retrieval);
        ServerTracing.AddTracing(services, options);
        ApiDocument.Add(services);
        services.AddSingleton<ServerMetrics>();
        services.AddSingleton(sp => new DynamicBatcher(model, reranker, options.MaxBatchTokens, sp.GetRequiredService<ServerMetrics>(),
            options.MaxQueuedTokens, options.QueueTimeout));
        services.AddSingleton(sp => new ShutdownDrain(sp.GetRequiredService<ServerMetrics>(), options,
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("RwkvNative.Server")));
        services.AddHostedService(sp => sp.GetRequiredService<ShutdownDrain>());
        services.AddSingleton(sp => new ServingContext(model, reranker, options, sp.GetRequiredService<DynamicBatcher>(),
            sp.GetRequiredService<ServerMetrics>(), sp.GetRequiredService<ShutdownDrain>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger("RwkvNative.Server")));
        return services;
    }

    /// <summary>Maps every endpoint (needs <see cref="AddRwkvServer"/>).</summary>
    public static IEndpointRouteBuilder MapRwkvEndpoints(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var s = endpoints.ServiceProvider.GetRequiredService<ServingContext>();
        RequestDelegate Tei(string route, bool admit, Func<HttpContext, ServingContext, Task> h) => s.Wrap(route, admit, ErrorShape.Tei, h);
        const string tei = "text-embeddings-inference", openai = "OpenAI", cohere = "Cohere / Jina", ops = "operations";
        endpoints.MapPost("/", Tei("/", true, Endpoints.Root))
            .Documented(tei, "TEI base URL", "TEI clients pointed at the base URL post here: a body with \"query\" is reranked as /rerank, any other is embedded as /embed.",
                typeof(TeiEmbedRequest), typeof(float[][]), ErrorShape.Tei, admitted: true);
        endpoints.MapPost("/embed", Tei("/embed", true, Endpoints.TeiEmbed))
            .Documented(tei, "Embed texts", "One embedding per input, L2-normalised unless \"normalize\": false.",
                typeof(TeiEmbedRequest), typeof(float[][]), ErrorShape.Tei, admitted: true);
        endpoints.MapPost("/rerank", Tei("/rerank", true, RetrievalEndpoints.Rerank))
            .Documented(tei, "Rerank texts, or stored documents by id", "With \"texts\": TEI's [{index, score, text?}], best first. With \"ids\" (needs --store): [{index, id, score}] scored from the cached document states.",
                typeof(TeiRerankRequest), typeof(List<TeiRank>), ErrorShape.Tei, admitted: true);
        endpoints.MapPost("/search", Tei("/search", true, RetrievalEndpoints.Search))
            .Documented(tei, "Retrieve, then rerank", "The top_k nearest documents by embedding (needs --store, optionally --vectors), reranked from their cached states, best first.",
                typeof(SearchRequest), typeof(SearchResponse), ErrorShape.Tei, admitted: true);
        endpoints.MapPost("/tokenize", Tei("/tokenize", false, Endpoints.Tokenize))
            .Documented(tei, "Tokenize", "The RWKV tokens of each input with their UTF-8 byte offsets.", typeof(TokenizeRequest), typeof(List<List<TeiToken>>), ErrorShape.Tei, admitted: false);
        endpoints.MapPost("/decode", Tei("/decode", false, Endpoints.Decode))
            .Documented(tei, "Decode token ids", "The text of each list of RWKV token ids.", typeof(DecodeRequest), typeof(List<string>), ErrorShape.Tei, admitted: false);
        endpoints.MapPost("/v1/embeddings", s.Wrap("/v1/embeddings", true, ErrorShape.OpenAI, Endpoints.OpenAIEmbeddings))
            .Documented(openai, "Create embeddings (OpenAI)", "L2-normalised embeddings; with \"encoding_format\": \"base64\" each embedding is a base64 string of little-endian float32.",
                typeof(OpenAIEmbeddingsRequest), typeof(OpenAIEmbeddingList<float[]>), ErrorShape.OpenAI, admitted: true);
        endpoints.MapGet("/v1/models", s.Wrap("/v1/models", false, ErrorShape.OpenAI, Endpoints.Models))
            .Documented(openai, "List models (OpenAI)", "The one model this server serves.", null, typeof(OpenAIModelList), ErrorShape.OpenAI, admitted: false);
        endpoints.MapPost("/v1/rerank", s.Wrap("/v1/rerank", true, ErrorShape.Cohere, Endpoints.CohereRerank))
            .Documented(cohere, "Rerank (Cohere v1, Jina)", "Results best first, with relevance_score in 0..1.", typeof(CohereRerankRequest), typeof(RerankResponse), ErrorShape.Cohere, admitted: true);
        endpoints.MapPost("/v2/rerank", s.Wrap("/v2/rerank", true, ErrorShape.Cohere, Endpoints.CohereV2Rerank))
            .Documented(cohere, "Rerank (Cohere v2)", "Long documents are cut to max_tokens_per_doc, never refused.", typeof(CohereV2RerankRequest), typeof(CohereV2RerankResponse), ErrorShape.Cohere, admitted: true);
        endpoints.MapGet("/health", Tei("/health", false, Endpoints.Health))
            .Documented(ops, "Health", "200 while the server takes work, 503 while it drains for a shutdown. No API key needed.", null, null, ErrorShape.Tei, admitted: false, errorStatuses: []);
        endpoints.MapGet("/info", Tei("/info", false, Endpoints.Info))
            .Documented(ops, "Model and limits", "TEI's /info keys, the reranker when loaded, and the model's shape.", null, typeof(InfoResponse), ErrorShape.Tei, admitted: false);
        endpoints.MapGet("/metrics", Tei("/metrics", false, Endpoints.Metrics))
            .Documented(ops, "Prometheus metrics", "Text format 0.0.4: TEI's te_* metrics and the server's own.", null, typeof(string), ErrorShape.Tei, admitted: false, responseContentType: "text/plain");
        endpoints.MapGet("/openapi.json", Tei("/openapi.json", false, ApiDocument.OpenApiJson))
            .Documented(ops, "This OpenAPI document", "OpenAPI 3.1, generated from the endpoints.", null, null, ErrorShape.Tei, admitted: false);
        endpoints.MapGet("/docs", Tei("/docs", false, ApiDocument.Docs))
            .Documented(ops, "This API as an HTML page", "Rendered from /openapi.json; self-contained.", null, null, ErrorShape.Tei, admitted: false);
        if (s.Options.CorsAllowOrigins.Count > 0) endpoints.MapMethods("/{**path}", ["OPTIONS"], s.Preflight);
        return endpoints;
    }

    /// <summary>Null for <c>localhost</c> (both loopbacks), else the parsed address.</summary>
    private static IPAddress? ParseHost(string host)
    {
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)) return null;
        if (IPAddress.TryParse(host, out var a)) return a;
        throw new ArgumentException($"host '{host}' is not an IP address (use 127.0.0.1, 0.0.0.0, ::, or localhost)");
    }
}
