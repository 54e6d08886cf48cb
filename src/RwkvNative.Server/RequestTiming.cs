// Where one request's time went, for TEI's timing headers and metrics.
using System.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace RwkvNative.Server;

/// <summary>Time and size of one inference request: set by the handler and the batcher, written as TEI's <c>x-*</c> headers.</summary>
internal sealed class RequestTiming
{
    private const string Key = "rwkv.timing";

    public long Start { get; } = Stopwatch.GetTimestamp();
    public TimeSpan Tokenization { get; set; }
    public TimeSpan Queue { get; set; }
    public TimeSpan Inference { get; set; }
    public long Characters { get; set; }
    public long Tokens { get; set; }
    public required string ComputeType { get; init; }

    public static RequestTiming? Of(HttpContext ctx) => ctx.Items.TryGetValue(Key, out var t) ? t as RequestTiming : null;

    public void AttachTo(HttpContext ctx) => ctx.Items[Key] = this;

    /// <summary>TEI's headers: <c>x-compute-type</c>, <c>-time</c>, <c>-characters</c>, <c>-tokens</c>, <c>x-total-time</c>, <c>x-tokenization-time</c>, <c>x-queue-time</c>, <c>x-inference-time</c> (milliseconds).</summary>
    public void WriteHeaders(HttpResponse response)
    {
        var h = response.Headers;
        h["x-compute-type"] = ComputeType;
        h["x-compute-time"] = Ms(Tokenization + Queue + Inference);
        h["x-compute-characters"] = Characters.ToString(System.Globalization.CultureInfo.InvariantCulture);
        h["x-compute-tokens"] = Tokens.ToString(System.Globalization.CultureInfo.InvariantCulture);
        h["x-total-time"] = Ms(Stopwatch.GetElapsedTime(Start));
        h["x-tokenization-time"] = Ms(Tokenization);
        h["x-queue-time"] = Ms(Queue);
        h["x-inference-time"] = Ms(Inference);
    }

    private static string Ms(TimeSpan t) => ((long)t.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
