namespace RwkvNative.Server.Json;

/// <summary>
/// An error answered with <see cref="Status"/> and the route's error body; <see cref="Field"/> names the offending field,
/// <see cref="RetryAfterSeconds"/> (when set) becomes a <c>Retry-After</c> header.
/// </summary>
internal sealed class ApiException(int status, ErrorKind kind, string message, string? field = null) : Exception(message)
{
    public int Status { get; } = status;
    public ErrorKind Kind { get; } = kind;
    public string? Field { get; } = field;
    public int? RetryAfterSeconds { get; init; }

    public static ApiException Invalid(string field, string message) => new(422, ErrorKind.Validation, message, field);
}
