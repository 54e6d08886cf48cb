// OpenAPI metadata on an endpoint: its group, summary, request body type, answer type and the error body of its API.
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using RwkvNative.Server.Json;

namespace RwkvNative.Server.OpenApi;

internal static class EndpointDocs
{
    /// <summary>
    /// Attaches what the document generator reads: tag, summary, description, the request body type (JSON), the 200
    /// answer's type and content type, and the error statuses with the error body of <paramref name="shape"/>.
    /// </summary>
    public static TBuilder Documented<TBuilder>(this TBuilder builder, string tag, string summary, string description,
        Type? request, Type? response, ErrorShape shape, bool admitted, string responseContentType = "application/json", int[]? errorStatuses = null)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.WithTags(tag).WithSummary(summary).WithDescription(description);
        // ASP.NET Core's API explorer describes only endpoints that carry their handler's MethodInfo, which a plain
        // RequestDelegate endpoint does not: add it (the handler takes only HttpContext, so it adds no parameters).
        builder.Add(static e =>
        {
            if (e.RequestDelegate?.Method is { } method) e.Metadata.Add(method);
        });
        var metadata = new List<object>();
        if (request != null) metadata.Add(new AcceptsMetadata(["application/json"], request));
        metadata.Add(new ProducesResponseTypeMetadata(200, response, response == null ? [] : [responseContentType]));
        var error = shape switch
        {
            ErrorShape.OpenAI => typeof(OpenAIErrorResponse),
            ErrorShape.Cohere => typeof(CohereErrorResponse),
            _ => typeof(ErrorResponse),
        };
        int[] statuses = errorStatuses ?? (admitted ? [400, 401, 413, 422, 429, 503] : request != null ? [400, 401, 413, 422] : [401]);
        foreach (int status in statuses) metadata.Add(new ProducesResponseTypeMetadata(status, error, ["application/json"]));
        builder.WithMetadata([.. metadata]);
        return builder;
    }
}
