// OpenTelemetry tracing of the server: the ActivitySource of its own spans and the SDK set-up for --otlp-endpoint.
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace RwkvNative.Server;

/// <summary>
/// Each HTTP request is one server span (ASP.NET Core's instrumentation) tagged with its request id; inside it the
/// server adds <c>tokenize</c>, <c>queue</c> (admitted until a batch first takes one of its sequences), <c>compute</c>
/// (first batch until the last result; a batch is shared with other requests, so its span is the request's share of
/// the worker's time) and, for <c>/search</c>, <c>retrieve</c> (the vector-index lookup). Without a listener (no
/// --otlp-endpoint) <see cref="ActivitySource.StartActivity(string, ActivityKind)"/> returns null and nothing is recorded.
/// </summary>
internal static class ServerTracing
{
    public const string SourceName = "RwkvNative.Server";

    /// <summary>The tag holding the request id (the <c>x-request-id</c> header of the answer).</summary>
    public const string RequestIdTag = "rwkv.request_id";

    public static readonly ActivitySource Source = new(SourceName, RwkvServer.Version);

    /// <summary>Registers the tracer provider: ASP.NET Core server spans, ours, exported by OTLP/HTTP protobuf.</summary>
    public static void AddTracing(IServiceCollection services, RwkvServerOptions options)
    {
        if (options.OtlpEndpoint is not { } endpoint) return;
        var traces = endpoint.AbsolutePath.TrimEnd('/').EndsWith("/v1/traces", StringComparison.Ordinal)
            ? endpoint
            : new Uri(endpoint, endpoint.AbsolutePath.TrimEnd('/') + "/v1/traces");
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(options.ServiceName, serviceVersion: RwkvServer.Version))
            .WithTracing(t => t
                .AddSource(SourceName)
                .AddAspNetCoreInstrumentation(o => o.Filter = ctx => ctx.Request.Path != "/health" && ctx.Request.Path != "/metrics")
                .AddOtlpExporter(o =>
                {
                    o.Protocol = OtlpExportProtocol.HttpProtobuf;
                    o.Endpoint = traces;
                }));
    }

    /// <summary>A span that already happened, between two <see cref="Stopwatch"/> timestamps, as a child of the current span.</summary>
    public static void Past(string name, long startTimestamp, long endTimestamp)
    {
        if (!Source.HasListeners() || startTimestamp == 0 || endTimestamp < startTimestamp) return;
        var now = DateTimeOffset.UtcNow;
        long nowTs = Stopwatch.GetTimestamp();
        var start = now - Stopwatch.GetElapsedTime(startTimestamp, nowTs);
        using var a = Source.StartActivity(name, ActivityKind.Internal, Activity.Current?.Context ?? default, startTime: start);
        a?.SetEndTime((now - Stopwatch.GetElapsedTime(endTimestamp, nowTs)).UtcDateTime);
    }
}
