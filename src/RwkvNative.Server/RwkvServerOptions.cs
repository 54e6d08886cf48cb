namespace RwkvNative.Server;

/// <summary>Limits and identity of an embedding server (the options of <c>rwkv-emb serve</c>).</summary>
public sealed record RwkvServerOptions
{
    /// <summary>Address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 for every interface).</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>TCP port (default 3000, as text-embeddings-inference; 0 picks a free one).</summary>
    public int Port { get; init; } = 3000;

    /// <summary>Most tokens one batch of the dynamic batcher holds (several requests share a batch up to this budget).</summary>
    public int MaxBatchTokens { get; init; } = 16384;

    /// <summary>
    /// Most tokens admitted and not yet computed, over all requests (queued or in a running batch); a request that would
    /// go beyond it is answered 429 with <c>Retry-After</c>, one larger than it on its own 413. The default holds one
    /// request of <see cref="MaxClientBatchSize"/> inputs of <see cref="MaxInputTokens"/> tokens.
    /// </summary>
    public long MaxQueuedTokens { get; init; } = 256L * 8192;

    /// <summary>How long a request may wait in the queue before a batch takes its first input; then 429. Zero: no limit.</summary>
    public TimeSpan QueueTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Most bytes of a request body (TEI's <c>--payload-limit</c> default, 2 MB); a larger one gets 413.</summary>
    public long PayloadLimit { get; init; } = 2_000_000;

    /// <summary>Requests admitted at once (queued or running); beyond it a request is answered 429 with <c>Retry-After</c>.</summary>
    public int MaxConcurrentRequests { get; init; } = 512;

    /// <summary>Most tokens of one input (EOS included); a longer one gets 413 unless the request asks to truncate.</summary>
    public int MaxInputTokens { get; init; } = 8192;

    /// <summary>Most inputs (texts, or documents to rerank) in one request; more gets 413.</summary>
    public int MaxClientBatchSize { get; init; } = 256;

    /// <summary>Name reported by <c>/info</c> and in OpenAI-style responses (default: the model file's name).</summary>
    public string? ModelId { get; init; }

    /// <summary>Storage dtype of the weights reported by <c>/info</c> (e.g. <c>bf16</c>), when known.</summary>
    public string? ModelDType { get; init; }

    /// <summary>
    /// API keys: when any is given, every route but <c>/health</c> requires <c>Authorization: Bearer KEY</c> with one of them
    /// (401 otherwise, in the route's error shape).
    /// </summary>
    public IReadOnlyList<string> ApiKeys { get; init; } = [];

    /// <summary>Origins allowed to call the server from a browser (CORS); <c>*</c> allows any. Empty: no CORS headers.</summary>
    public IReadOnlyList<string> CorsAllowOrigins { get; init; } = [];

    /// <summary>Truncate inputs over <see cref="MaxInputTokens"/> when a request does not say (TEI's <c>--auto-truncate</c>).</summary>
    public bool AutoTruncate { get; init; }

    /// <summary>
    /// OpenTelemetry collector to send traces to over OTLP/HTTP (protobuf), e.g. <c>http://127.0.0.1:4318</c>; the path
    /// <c>/v1/traces</c> is added unless given. Null: no tracing.
    /// </summary>
    public Uri? OtlpEndpoint { get; init; }

    /// <summary>The <c>service.name</c> of the traces.</summary>
    public string ServiceName { get; init; } = "rwkv-emb";

    /// <summary>How long a shutdown waits for requests in flight to finish.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        if (Port is < 0 or > 65535) throw new ArgumentException($"port must be in 0..65535, got {Port}");
        if (MaxBatchTokens <= 0) throw new ArgumentException($"max-batch-tokens must be positive, got {MaxBatchTokens}");
        if (MaxConcurrentRequests <= 0) throw new ArgumentException($"max-concurrent-requests must be positive, got {MaxConcurrentRequests}");
        if (MaxInputTokens < 2) throw new ArgumentException($"max-input-tokens must be at least 2 (one token and EOS), got {MaxInputTokens}");
        if (MaxInputTokens > MaxBatchTokens)
            throw new ArgumentException($"max-input-tokens ({MaxInputTokens}) must not exceed max-batch-tokens ({MaxBatchTokens}): a batch must hold the longest input");
        if (MaxClientBatchSize <= 0) throw new ArgumentException($"max-client-batch-size must be positive, got {MaxClientBatchSize}");
        if (MaxQueuedTokens < MaxInputTokens)
            throw new ArgumentException($"max-queued-tokens ({MaxQueuedTokens}) must be at least max-input-tokens ({MaxInputTokens}): the queue must admit the longest input");
        if (QueueTimeout < TimeSpan.Zero) throw new ArgumentException("queue-timeout must not be negative");
        if (PayloadLimit <= 0) throw new ArgumentException($"payload-limit must be positive, got {PayloadLimit}");
        foreach (var k in ApiKeys)
            if (string.IsNullOrWhiteSpace(k) || k.Trim() != k) throw new ArgumentException("api-key must be non-empty and have no surrounding spaces");
        if (OtlpEndpoint is { } otlp && (!otlp.IsAbsoluteUri || otlp.Scheme is not ("http" or "https")))
            throw new ArgumentException($"otlp-endpoint must be an absolute http:// or https:// URL, got '{otlp}'");
        if (string.IsNullOrWhiteSpace(ServiceName)) throw new ArgumentException("service name must not be empty");
        if (ShutdownTimeout < TimeSpan.Zero) throw new ArgumentException("shutdown timeout must not be negative");
    }
}
