// What every endpoint shares: the model, the batcher, the limits, the metrics; and the wrapper that turns failures into answers.
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using RwkvNative.Server.Json;

namespace RwkvNative.Server;

internal sealed class ServingContext(EmbeddingModel model, Reranker? reranker, RwkvServerOptions options, DynamicBatcher batcher,
    ServerMetrics metrics, ShutdownDrain drain, ILogger logger)
{
    public EmbeddingModel Model { get; } = model;
    public Reranker? Reranker { get; } = reranker;
    public RwkvServerOptions Options { get; } = options;
    public DynamicBatcher Batcher { get; } = batcher;
    public ServerMetrics Metrics { get; } = metrics;
    public ShutdownDrain Drain { get; } = drain;
    public string ModelId { get; } = options.ModelId ?? "rwkv-embedding";

    private readonly byte[][] _keyDigests = [.. options.ApiKeys.Select(k => SHA256.HashData(Encoding.UTF8.GetBytes(k)))];

    /// <summary>
    /// Wraps a handler: the API key, the body limit (413), admission (503 while draining, 429 beyond max-concurrent-requests),
    /// errors as JSON in the route's <paramref name="shape"/>, timing, the request id and the metrics. Errors of the request
    /// (4xx) are logged at Debug, so hostile input cannot flood the log; only failures of the server are logged as errors.
    /// </summary>
    public RequestDelegate Wrap(string route, bool admit, ErrorShape shape, Func<HttpContext, ServingContext, Task> handler) => async ctx =>
    {
        long start = Stopwatch.GetTimestamp();
        bool admitted = false;
        string requestId = RequestId(ctx);
        Activity.Current?.SetTag(ServerTracing.RequestIdTag, requestId);
        AllowOrigin(ctx);
        RequestTiming? timing = null;
        try
        {
            if (route != "/health") Authorize(ctx);
            if (admit)
            {
                LimitBody(ctx);
                if (Drain.Draining) throw new ApiException(ErrorKind.Unhealthy, "the server is shutting down; retry on another replica") { RetryAfterSeconds = 1 };
                if (!Metrics.TryAdmit(Options.MaxConcurrentRequests))
                    throw new ApiException(ErrorKind.Overloaded,
                        $"model is overloaded: {Options.MaxConcurrentRequests} requests are already queued or running (--max-concurrent-requests); retry later")
                    { RetryAfterSeconds = 1 };
                admitted = true;
                timing = new RequestTiming { ComputeType = Model.DeviceName.StartsWith("cuda", StringComparison.Ordinal) ? "gpu" : "cpu" };
                timing.AttachTo(ctx);
            }
            await handler(ctx, this).ConfigureAwait(false);
        }
        catch (ApiException e)
        {
            logger.LogDebug("[{RequestId}] {Route} answered {Status}: {Message}", requestId, route, e.StatusFor(shape), e.Message);
            await WriteError(ctx, e, shape).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel's verdict on the body: 413 over --payload-limit, 408 when it arrives too slowly, 400 when malformed.
            logger.LogDebug("[{RequestId}] {Route} answered {Status}: {Message}", requestId, route, e.StatusCode, e.Message);
            string hint = e.StatusCode switch
            {
                413 => $"the request body is larger than the {Options.PayloadLimit} bytes allowed (--payload-limit); split the request",
                408 => "the request body arrived too slowly; the server stopped waiting for it",
                _ => $"the request body could not be read: {e.Message}",
            };
            await WriteError(ctx, new ApiException(ErrorKind.Validation, hint, httpStatus: e.StatusCode), shape).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or ConnectionAbortedException)
        {
            // The client went away, or the shutdown reset the connection: nobody reads an answer.
            logger.LogDebug("[{RequestId}] {Route}: the connection closed before the answer ({Message})", requestId, route, e.Message);
            ctx.Response.StatusCode = 499;
        }
        catch (Exception e)
        {
            logger.LogError(e, "[{RequestId}] {Route} failed", requestId, route);
            await WriteError(ctx, new ApiException(ErrorKind.Backend, $"{e.GetType().Name}: {e.Message}"), shape).ConfigureAwait(false);
        }
        finally
        {
            if (admitted) Metrics.Release();
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            Metrics.RecordRequest(route, ctx.Response.StatusCode, seconds);
            if (timing != null) Metrics.RecordTei(ctx.Response.StatusCode, seconds, timing);
        }
    };

    /// <summary>CORS: with --cors-allow-origin, an allowed <c>Origin</c> is echoed (or <c>*</c> when any is allowed).</summary>
    private bool AllowOrigin(HttpContext ctx)
    {
        if (Options.CorsAllowOrigins.Count == 0) return false;
        string? origin = ctx.Request.Headers.Origin;
        if (origin == null) return false;
        bool any = Options.CorsAllowOrigins.Contains("*");
        if (!any && !Options.CorsAllowOrigins.Contains(origin, StringComparer.OrdinalIgnoreCase)) return false;
        ctx.Response.Headers.AccessControlAllowOrigin = any ? "*" : origin;
        ctx.Response.Headers.Vary = "Origin";
        ctx.Response.Headers.AccessControlExposeHeaders = "x-request-id, x-compute-time, x-compute-tokens, x-compute-characters, x-compute-type, x-total-time, x-tokenization-time, x-queue-time, x-inference-time, retry-after";
        return true;
    }

    /// <summary>A CORS preflight (<c>OPTIONS</c>): 204 with the allowed methods and headers for an allowed origin, else 403.</summary>
    public Task Preflight(HttpContext ctx)
    {
        if (!AllowOrigin(ctx))
        {
            ctx.Response.StatusCode = 403;
            return Task.CompletedTask;
        }
        ctx.Response.Headers.AccessControlAllowMethods = "GET, POST, OPTIONS";
        ctx.Response.Headers.AccessControlAllowHeaders = "authorization, content-type, x-request-id";
        ctx.Response.Headers.AccessControlMaxAge = "600";
        ctx.Response.StatusCode = 204;
        return Task.CompletedTask;
    }

    /// <summary>The client's <c>x-request-id</c> (when short and printable) or the server's trace id; echoed in the answer and every log line.</summary>
    private static string RequestId(HttpContext ctx)
    {
        string? given = ctx.Request.Headers["x-request-id"];
        string id = given is { Length: > 0 and <= 128 } && given.All(c => c is > ' ' and < '\x7f') ? given : ctx.TraceIdentifier;
        ctx.Response.Headers["x-request-id"] = id;
        return id;
    }

    /// <summary>With --api-key: <c>Authorization: Bearer KEY</c> must match one of the keys (compared in constant time over SHA-256 digests).</summary>
    private void Authorize(HttpContext ctx)
    {
        if (_keyDigests.Length == 0) return;
        string? header = ctx.Request.Headers.Authorization;
        const string bearer = "Bearer ";
        if (header == null || !header.StartsWith(bearer, StringComparison.OrdinalIgnoreCase))
            throw new ApiException(ErrorKind.Unauthorized, "missing API key: send the header 'Authorization: Bearer KEY' with a key given to --api-key", httpStatus: 401);
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(header[bearer.Length..].Trim()));
        bool match = false;
        foreach (var k in _keyDigests) match |= CryptographicOperations.FixedTimeEquals(digest, k);
        if (!match) throw new ApiException(ErrorKind.Unauthorized, "incorrect API key provided", httpStatus: 401);
    }

    /// <summary>Applies --payload-limit: a declared Content-Length over it is refused before reading; the server enforces the rest.</summary>
    private void LimitBody(HttpContext ctx)
    {
        var feature = ctx.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false }) feature.MaxRequestBodySize = Options.PayloadLimit;
        if (ctx.Request.ContentLength is { } length && length > Options.PayloadLimit)
            throw new ApiException(ErrorKind.Validation,
                $"the request body declares {length} bytes, more than the {Options.PayloadLimit} allowed (--payload-limit); split the request", httpStatus: 413);
    }

    public static Task WriteJson<T>(HttpContext ctx, T value, JsonTypeInfo<T> type, int status = 200)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        if (status == 200) RequestTiming.Of(ctx)?.WriteHeaders(ctx.Response);
        return JsonSerializer.SerializeAsync(ctx.Response.Body, value, type, ctx.RequestAborted);
    }

    private static Task WriteError(HttpContext ctx, ApiException e, ErrorShape shape)
    {
        if (ctx.Response.HasStarted) return Task.CompletedTask;
        if (e.RetryAfterSeconds is { } retry) ctx.Response.Headers.RetryAfter = retry.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (e.Kind == ErrorKind.Unauthorized) ctx.Response.Headers.WWWAuthenticate = "Bearer";
        int status = e.StatusFor(shape);
        return shape switch
        {
            ErrorShape.OpenAI => WriteJson(ctx, new OpenAIErrorResponse { Error = OpenAIError.Of(e, status) }, ServerJsonContext.Api.OpenAIErrorResponse, status),
            ErrorShape.Cohere => WriteJson(ctx, new CohereErrorResponse { Message = e.Message }, ServerJsonContext.Api.CohereErrorResponse, status),
            _ => WriteJson(ctx, new ErrorResponse { Error = e.Message, ErrorType = e.Kind.ToString() }, ServerJsonContext.Api.ErrorResponse, status),
        };
    }
}
