namespace RwkvNative.Server.Json;

/// <summary>What went wrong, as text-embeddings-inference classifies errors (its <c>error_type</c>).</summary>
internal enum ErrorKind
{
    /// <summary>The request is wrong: a field, a limit, the body.</summary>
    Validation,

    /// <summary>The input cannot be tokenized.</summary>
    Tokenizer,

    /// <summary>An input list is empty.</summary>
    Empty,

    /// <summary>The server has no room now; retry later.</summary>
    Overloaded,

    /// <summary>The model failed.</summary>
    Backend,

    /// <summary>The server is shutting down or cannot serve.</summary>
    Unhealthy,

    /// <summary>No or a wrong API key (not one of TEI's types: TEI answers 401 with no body).</summary>
    Unauthorized,
}
