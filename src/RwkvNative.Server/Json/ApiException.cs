namespace RwkvNative.Server.Json;

/// <summary>
/// An error answered with the route's error body. <see cref="Kind"/> classifies it as TEI does, and gives the status
/// unless the error is one of HTTP itself (<see cref="HttpStatus"/>: 401, 408, 413, ...); <see cref="Field"/> names the
/// offending field; <see cref="RetryAfterSeconds"/> (when set) becomes a <c>Retry-After</c> header.
/// </summary>
internal sealed class ApiException(ErrorKind kind, string message, string? field = null, int? httpStatus = null) : Exception(message)
{
    public ErrorKind Kind { get; } = kind;
    public string? Field { get; } = field;
    public int? HttpStatus { get; } = httpStatus;
    public int? RetryAfterSeconds { get; init; }

    /// <summary>The status on a TEI route: TEI's mapping of the error type (router/src/http/server.rs).</summary>
    public int TeiStatus => HttpStatus ?? Kind switch
    {
        ErrorKind.Unhealthy => 503,
        ErrorKind.Backend => 424,
        ErrorKind.Overloaded => 429,
        ErrorKind.Empty => 400,
        _ => 422, // Validation, Tokenizer
    };

    /// <summary>The status on an OpenAI or Cohere route: 400 for every fault of the request.</summary>
    public int ClientStatus => HttpStatus ?? Kind switch
    {
        ErrorKind.Unhealthy => 503,
        ErrorKind.Backend => 500,
        ErrorKind.Overloaded => 429,
        _ => 400,
    };

    public int StatusFor(ErrorShape shape) => shape == ErrorShape.Tei ? TeiStatus : ClientStatus;

    public static ApiException Invalid(string field, string message) => new(ErrorKind.Validation, message, field);
}
