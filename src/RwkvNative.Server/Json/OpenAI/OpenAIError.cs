using System.Text.Json.Serialization;

namespace RwkvNative.Server.Json;

internal sealed class OpenAIError
{
    public required string Message { get; init; }
    public required string Type { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? Param { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? Code { get; init; }

    /// <summary>OpenAI's types and codes: <c>invalid_request_error</c> for the request's faults, <c>invalid_api_key</c> for 401.</summary>
    public static OpenAIError Of(ApiException e, int status) => new()
    {
        Message = e.Message,
        Type = status switch { 429 => "rate_limit_error", >= 500 => "server_error", _ => "invalid_request_error" },
        Param = e.Field,
        Code = e.Kind switch
        {
            ErrorKind.Unauthorized => "invalid_api_key",
            ErrorKind.Overloaded => "rate_limit_exceeded",
            ErrorKind.Unhealthy => "service_unavailable",
            ErrorKind.Backend => "server_error",
            ErrorKind.Empty => "empty_input",
            _ => status switch { 413 => "request_too_large", 408 => "request_timeout", _ => "invalid_value" },
        },
    };
}
