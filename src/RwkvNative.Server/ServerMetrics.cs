// Counters, gauges and histograms of the server, written in the Prometheus text exposition format (version 0.0.4).
using System.Collections.Concurrent;
using System.Text;

namespace RwkvNative.Server;

/// <summary>The server's metrics: requests by route and status, tokens, batch sizes, queue depth, latencies.</summary>
internal sealed class ServerMetrics
{
    private static readonly double[] LatencyBounds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
    private static readonly double[] BatchSizeBounds = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
    private static readonly double[] BatchTokenBounds = [16, 64, 256, 1024, 4096, 16384, 65536];

    private readonly ConcurrentDictionary<(string Route, int Status), long[]> _requests = new();
    private readonly ConcurrentDictionary<string, Histogram> _latency = new(StringComparer.Ordinal);
    private readonly Histogram[] _batchSize = [new(BatchSizeBounds), new(BatchSizeBounds)];
    private readonly Histogram[] _batchTokens = [new(BatchTokenBounds), new(BatchTokenBounds)];
    private readonly Histogram[] _batchSeconds = [new(LatencyBounds), new(LatencyBounds)];
    private static readonly double[] InputLengthBounds = [2, 8, 32, 128, 512, 2048, 8192, 32768];
    private readonly Histogram _teDuration = new(LatencyBounds), _teTokenization = new(LatencyBounds), _teQueue = new(LatencyBounds),
        _teInference = new(LatencyBounds), _teInputLength = new(InputLengthBounds), _teBatchSize = new(BatchSizeBounds), _teBatchTokens = new(BatchTokenBounds);
    private readonly ConcurrentDictionary<string, long[]> _teFailures = new(StringComparer.Ordinal);
    private long _teCount, _teSuccess;
    private long _inputTokens;
    private long _inputs;
    private long _inFlight;
    private long _rejectedOverloaded;

    /// <summary>Sequences waiting for the batcher (set by the batcher).</summary>
    public int QueueDepth { get; set; }

    /// <summary>Tokens admitted and not yet computed (set by the batcher).</summary>
    public long QueuedTokens { get; set; }

    public long InFlight => Interlocked.Read(ref _inFlight);

    /// <summary>Admits a request unless <paramref name="limit"/> are already admitted.</summary>
    public bool TryAdmit(int limit)
    {
        if (Interlocked.Increment(ref _inFlight) <= limit) return true;
        Interlocked.Decrement(ref _inFlight);
        Interlocked.Increment(ref _rejectedOverloaded);
        return false;
    }

    /// <summary>Counts a request refused 429 by the batcher's token budget.</summary>
    public void RecordRejected() => Interlocked.Increment(ref _rejectedOverloaded);

    public void Release() => Interlocked.Decrement(ref _inFlight);

    public void RecordInputs(int inputs, long tokens)
    {
        Interlocked.Add(ref _inputs, inputs);
        Interlocked.Add(ref _inputTokens, tokens);
    }

    public void RecordRequest(string route, int status, double seconds)
    {
        var counter = _requests.GetOrAdd((route, status), _ => new long[1]);
        Interlocked.Increment(ref counter[0]);
        _latency.GetOrAdd(route, _ => new Histogram(LatencyBounds)).Observe(seconds);
    }

    /// <summary>TEI's per-request figures of an inference request (te_request_*).</summary>
    public void RecordTei(int status, double seconds, RequestTiming timing)
    {
        Interlocked.Increment(ref _teCount);
        if (status == 200)
        {
            Interlocked.Increment(ref _teSuccess);
            _teDuration.Observe(seconds);
            _teTokenization.Observe(timing.Tokenization.TotalSeconds);
            _teQueue.Observe(timing.Queue.TotalSeconds);
            _teInference.Observe(timing.Inference.TotalSeconds);
        }
        else
        {
            string err = status switch { 429 => "overloaded", 503 => "unhealthy", 499 => "cancelled", >= 500 => "backend", 424 => "backend", _ => "validation" };
            Interlocked.Increment(ref _teFailures.GetOrAdd(err, _ => new long[1])[0]);
        }
    }

    /// <summary>Tokens of one accepted input (te_request_input_length).</summary>
    public void RecordInputLength(int tokens) => _teInputLength.Observe(tokens);

    public void RecordBatch(WorkKind kind, int sequences, long tokens, double seconds)
    {
        _teBatchSize.Observe(sequences);
        _teBatchTokens.Observe(tokens);
        _batchSize[(int)kind].Observe(sequences);
        _batchTokens[(int)kind].Observe(tokens);
        _batchSeconds[(int)kind].Observe(seconds);
    }

    /// <summary>Every metric in the Prometheus text format.</summary>
    public string ToPrometheusText()
    {
        var sb = new StringBuilder(4096);
        Header(sb, "rwkv_requests_total", "counter", "HTTP requests answered, by route and status code.");
        foreach (var ((route, status), c) in _requests.OrderBy(k => k.Key.Route, StringComparer.Ordinal).ThenBy(k => k.Key.Status))
            sb.Append("rwkv_requests_total{route=\"").Append(route).Append("\",code=\"").Append(status).Append("\"} ").Append(Interlocked.Read(ref c[0])).Append('\n');
        Header(sb, "rwkv_request_duration_seconds", "histogram", "Time from the request's arrival to its answer, by route.");
        foreach (var (route, h) in _latency.OrderBy(k => k.Key, StringComparer.Ordinal))
            h.Write(sb, "rwkv_request_duration_seconds", $"route=\"{route}\"");
        Header(sb, "rwkv_input_tokens_total", "counter", "Tokens of accepted inputs (EOS included).");
        sb.Append("rwkv_input_tokens_total ").Append(Interlocked.Read(ref _inputTokens)).Append('\n');
        Header(sb, "rwkv_inputs_total", "counter", "Accepted inputs (texts embedded, documents reranked).");
        sb.Append("rwkv_inputs_total ").Append(Interlocked.Read(ref _inputs)).Append('\n');
        Header(sb, "rwkv_requests_rejected_overloaded_total", "counter", "Requests refused with 429: max-concurrent-requests admitted or max-queued-tokens queued.");
        sb.Append("rwkv_requests_rejected_overloaded_total ").Append(Interlocked.Read(ref _rejectedOverloaded)).Append('\n');
        Header(sb, "rwkv_requests_in_flight", "gauge", "Requests admitted and not yet answered.");
        sb.Append("rwkv_requests_in_flight ").Append(InFlight).Append('\n');
        Header(sb, "rwkv_queue_depth", "gauge", "Sequences waiting for the dynamic batcher.");
        sb.Append("rwkv_queue_depth ").Append(QueueDepth).Append('\n');
        Header(sb, "rwkv_queued_tokens", "gauge", "Tokens admitted and not yet computed (bounded by --max-queued-tokens).");
        sb.Append("rwkv_queued_tokens ").Append(QueuedTokens).Append('\n');
        string[] kinds = ["embed", "rerank"];
        Header(sb, "rwkv_batch_size", "histogram", "Sequences per model batch, by kind.");
        for (int k = 0; k < 2; k++) _batchSize[k].Write(sb, "rwkv_batch_size", $"kind=\"{kinds[k]}\"");
        Header(sb, "rwkv_batch_tokens", "histogram", "Tokens per model batch, by kind.");
        for (int k = 0; k < 2; k++) _batchTokens[k].Write(sb, "rwkv_batch_tokens", $"kind=\"{kinds[k]}\"");
        Header(sb, "rwkv_batch_duration_seconds", "histogram", "Model time per batch, by kind.");
        for (int k = 0; k < 2; k++) _batchSeconds[k].Write(sb, "rwkv_batch_duration_seconds", $"kind=\"{kinds[k]}\"");
        // text-embeddings-inference's names, so its dashboards and autoscalers (HPA on te_queue_size) work unchanged.
        Header(sb, "te_request_count", "counter", "Inference requests received (TEI).");
        sb.Append("te_request_count ").Append(Interlocked.Read(ref _teCount)).Append('\n');
        Header(sb, "te_request_success", "counter", "Inference requests answered 200 (TEI).");
        sb.Append("te_request_success ").Append(Interlocked.Read(ref _teSuccess)).Append('\n');
        Header(sb, "te_request_failure", "counter", "Inference requests that failed, by error (TEI).");
        foreach (var (err, c) in _teFailures.OrderBy(k => k.Key, StringComparer.Ordinal))
            sb.Append("te_request_failure{err=\"").Append(err).Append("\"} ").Append(Interlocked.Read(ref c[0])).Append('\n');
        Header(sb, "te_request_duration", "histogram", "Seconds from arrival to answer of successful inference requests (TEI).");
        _teDuration.Write(sb, "te_request_duration", "");
        Header(sb, "te_request_tokenization_duration", "histogram", "Seconds spent tokenizing a request (TEI).");
        _teTokenization.Write(sb, "te_request_tokenization_duration", "");
        Header(sb, "te_request_queue_duration", "histogram", "Seconds a request waited before its first batch (TEI).");
        _teQueue.Write(sb, "te_request_queue_duration", "");
        Header(sb, "te_request_inference_duration", "histogram", "Seconds from a request's first batch to its last result (TEI).");
        _teInference.Write(sb, "te_request_inference_duration", "");
        Header(sb, "te_request_input_length", "histogram", "Tokens per input (TEI).");
        _teInputLength.Write(sb, "te_request_input_length", "");
        Header(sb, "te_queue_size", "gauge", "Inputs waiting for a batch (TEI).");
        sb.Append("te_queue_size ").Append(QueueDepth).Append('\n');
        Header(sb, "te_batch_next_size", "histogram", "Inputs per model batch (TEI).");
        _teBatchSize.Write(sb, "te_batch_next_size", "");
        Header(sb, "te_batch_next_tokens", "histogram", "Tokens per model batch (TEI).");
        _teBatchTokens.Write(sb, "te_batch_next_tokens", "");
        return sb.ToString();
    }

    private static void Header(StringBuilder sb, string name, string type, string help) =>
        sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n').Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
}
