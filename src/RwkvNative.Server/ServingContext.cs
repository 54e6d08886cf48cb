// What every endpoint shares: the model, the batcher, the limits, the metrics; and the wrapper that turns failures into answers.
using System.Diagnostics;
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

    /// <summary>
    /// Wraps a handler: the body limit (413), admission (503 while draining, 429 beyond max-concurrent-requests), errors as
    /// JSON (TEI's shape, or OpenAI's when <paramref name="openAiErrors"/>), and the request metrics. Errors of the request
    /// (4xx) are logged at Debug, so hostile input cannot flood the log; only failures of the server are logged as errors.
    /// </summary>
    public RequestDelegate Wrap(string route, bool admit, bool openAiErrors, Func<HttpContext, ServingContext, Task> handler) => async ctx =>
    {
        long start = Stopwatch.GetTimestamp();
        bool admitted = false;
        try
        {
            if (admit)
            {
                LimitBody(ctx);
                if (Drain.Draining) throw new ApiException(503, ErrorKind.Unhealthy, "the server is shutting down; retry on another replica") { RetryAfterSeconds = 1 };
                if (!Metrics.TryAdmit(Options.MaxConcurrentRequests))
                    throw new ApiException(429, ErrorKind.Overloaded,
                        $"model is overloaded: {Options.MaxConcurrentRequests} requests are already queued or running (--max-concurrent-requests); retry later")
                    { RetryAfterSeconds = 1 };
                admitted = true;
            }
            await handler(ctx, this).ConfigureAwait(false);
        }
        catch (ApiException e)
        {
            logger.LogDebug("{Route} answered {Status}: {Message}", route, e.Status, e.Message);
            await WriteError(ctx, e, openAiErrors).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel's verdict on the body: 413 over --payload-limit, 408 when it arrives too slowly, 400 when malformed.
            logger.LogDebug("{Route} answered {Status}: {Message}", route, e.StatusCode, e.Message);
            string hint = e.StatusCode switch
            {
                413 => $"the request body is larger than the {Options.PayloadLimit} bytes allowed (--payload-limit); split the request",
                408 => "the request body arrived too slowly; the server stopped waiting for it",
                _ => $"the request body could not be read: {e.Message}",
            };
            await WriteError(ctx, new ApiException(e.StatusCode, ErrorKind.Validation, hint), openAiErrors).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or ConnectionAbortedException)
        {
            // The client went away, or the shutdown reset the connection: nobody reads an answer.
            logger.LogDebug("{Route}: the connection closed before the answer ({Message})", route, e.Message);
            ctx.Response.StatusCode = 499;
        }
        catch (Exception e)
        {
            logger.LogError(e, "{Route} failed", route);
            await WriteError(ctx, new ApiException(500, ErrorKind.Backend, $"{e.GetType().Name}: {e.Message}"), openAiErrors).ConfigureAwait(false);
        }
        finally
        {
            if (admitted) Metrics.Release();
            Metrics.RecordRequest(route, ctx.Response.StatusCode, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
    };

    /// <summary>Applies --payload-limit: a declared Content-Length over it is refused before reading; the server enforces the rest.</summary>
    private void LimitBody(HttpContext ctx)
    {
        var feature = ctx.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false }) feature.MaxRequestBodySize = Options.PayloadLimit;
        if (ctx.Request.ContentLength is { } length && length > Options.PayloadLimit)
            throw new ApiException(413, ErrorKind.Validation,
                $"the request body declares {length} bytes, more than the {Options.PayloadLimit} allowed (--payload-limit); split the request");
    }

    public static Task WriteJson<T>(HttpContext ctx, T value, JsonTypeInfo<T> type, int status = 200)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(ctx.Response.Body, value, type, ctx.RequestAborted);
    }

    private static Task WriteError(HttpContext ctx, ApiException e, bool openAi)
    {
        if (ctx.Response.HasStarted) return Task.CompletedTask;
        if (e.RetryAfterSeconds is { } retry) ctx.Response.Headers.RetryAfter = retry.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return openAi
            ? WriteJson(ctx, new OpenAIErrorResponse { Error = new OpenAIError { Message = e.Message, Type = e.Kind.ToString().ToLowerInvariant(), Param = e.Field } },
                ServerJsonContext.Api.OpenAIErrorResponse, e.Status)
            : WriteJson(ctx, new ErrorResponse { Error = e.Message, ErrorType = e.Kind.ToString().ToLowerInvariant() }, ServerJsonContext.Api.ErrorResponse, e.Status);
    }
}
