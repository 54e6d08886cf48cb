// What every endpoint shares: the model, the batcher, the limits, the metrics; and the wrapper that turns failures into answers.
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using RwkvNative.Server.Json;

namespace RwkvNative.Server;

internal sealed class ServingContext(EmbeddingModel model, Reranker? reranker, RwkvServerOptions options, DynamicBatcher batcher,
    ServerMetrics metrics, ILogger logger)
{
    public EmbeddingModel Model { get; } = model;
    public Reranker? Reranker { get; } = reranker;
    public RwkvServerOptions Options { get; } = options;
    public DynamicBatcher Batcher { get; } = batcher;
    public ServerMetrics Metrics { get; } = metrics;
    public string ModelId { get; } = options.ModelId ?? "rwkv-embedding";

    /// <summary>
    /// Wraps a handler: admission (429 beyond max-concurrent-requests), errors as JSON (TEI's shape, or OpenAI's when
    /// <paramref name="openAiErrors"/>), and the request metrics.
    /// </summary>
    public RequestDelegate Wrap(string route, bool admit, bool openAiErrors, Func<HttpContext, ServingContext, Task> handler) => async ctx =>
    {
        long start = Stopwatch.GetTimestamp();
        bool admitted = false;
        try
        {
            if (admit)
            {
                if (!Metrics.TryAdmit(Options.MaxConcurrentRequests))
                {
                    ctx.Response.Headers.RetryAfter = "1";
                    throw new ApiException(429, "overloaded",
                        $"model is overloaded: {Options.MaxConcurrentRequests} requests are already queued or running (--max-concurrent-requests); retry later");
                }
                admitted = true;
            }
            await handler(ctx, this).ConfigureAwait(false);
        }
        catch (ApiException e)
        {
            await WriteError(ctx, e, openAiErrors).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            // The client went away: nobody reads an answer.
            ctx.Response.StatusCode = 499;
        }
        catch (Exception e)
        {
            logger.LogError(e, "{Route} failed", route);
            await WriteError(ctx, new ApiException(500, "backend", $"{e.GetType().Name}: {e.Message}"), openAiErrors).ConfigureAwait(false);
        }
        finally
        {
            if (admitted) Metrics.Release();
            Metrics.RecordRequest(route, ctx.Response.StatusCode, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
    };

    public static Task WriteJson<T>(HttpContext ctx, T value, JsonTypeInfo<T> type, int status = 200)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(ctx.Response.Body, value, type, ctx.RequestAborted);
    }

    private static Task WriteError(HttpContext ctx, ApiException e, bool openAi)
    {
        if (ctx.Response.HasStarted) return Task.CompletedTask;
        return openAi
            ? WriteJson(ctx, new OpenAIErrorResponse { Error = new OpenAIError { Message = e.Message, Type = e.ErrorType, Param = e.Field } },
                ServerJsonContext.Api.OpenAIErrorResponse, e.Status)
            : WriteJson(ctx, new ErrorResponse { Error = e.Message, ErrorType = e.ErrorType }, ServerJsonContext.Api.ErrorResponse, e.Status);
    }
}
