using System.Buffers;
using System.Text;
using System.Text.Json;

namespace RwkvNative.Cli;

/// <summary>JSON Lines on standard input/output: one object per line in, one result per line out, in order.</summary>
internal sealed class JsonLines : IDisposable
{
    private readonly TextReader _in;
    private readonly Stream _out;
    private readonly ArrayBufferWriter<byte> _buffer = new(1 << 16);
    private readonly Utf8JsonWriter _writer;

    public JsonLines(TextReader input, Stream output)
    {
        _in = input;
        _out = output;
        _writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions { SkipValidation = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    public static JsonLines Console() => new(System.Console.In, System.Console.OpenStandardOutput());

    /// <summary>Line number (1-based) of the last line read.</summary>
    public int LineNumber { get; private set; }

    /// <summary>Next non-blank line parsed as a JSON object, or null at the end of input.</summary>
    public JsonDocument? Next()
    {
        while (true)
        {
            var line = _in.ReadLine();
            if (line == null) return null;
            LineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonDocument doc;
            try { doc = JsonDocument.Parse(line); }
            catch (JsonException e) { throw new InputException($"line {LineNumber}: malformed JSON: {e.Message}"); }
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                doc.Dispose();
                throw new InputException($"line {LineNumber}: expected a JSON object, got {doc.RootElement.ValueKind}");
            }
            return doc;
        }
    }

    /// <summary>Reads the string field <paramref name="name"/>, or null when absent.</summary>
    public string? String(JsonElement obj, string name)
    {
        if (!obj.TryGetProperty(name, out var v)) return null;
        if (v.ValueKind != JsonValueKind.String) throw new InputException($"line {LineNumber}: field \"{name}\" must be a string");
        return v.GetString();
    }

    /// <summary>Writes one output object built by <paramref name="write"/> as a line.</summary>
    public void WriteObject(Action<Utf8JsonWriter> write)
    {
        _writer.WriteStartObject();
        write(_writer);
        _writer.WriteEndObject();
        _writer.Flush();
        _buffer.Write("\n"u8);
        _writer.Reset();
        if (_buffer.WrittenCount > 1 << 16) Flush();
    }

    /// <summary>Writes floats so they parse back to the identical float32 (shortest round-trip form).</summary>
    public static void WriteFloats(Utf8JsonWriter w, string name, ReadOnlySpan<float> values)
    {
        w.WriteStartArray(name);
        Span<byte> tmp = stackalloc byte[32];
        foreach (var v in values)
        {
            if (!float.IsFinite(v)) throw new InvalidOperationException($"the model produced a non-finite value ({v}); refusing to write it");
            v.TryFormat(tmp, out int n, "R", System.Globalization.CultureInfo.InvariantCulture);
            w.WriteRawValue(tmp[..n], skipInputValidation: true);
        }
        w.WriteEndArray();
    }

    public static void WriteFloat(Utf8JsonWriter w, string name, float v)
    {
        if (!float.IsFinite(v)) throw new InvalidOperationException($"the model produced a non-finite value ({v}); refusing to write it");
        Span<byte> tmp = stackalloc byte[32];
        v.TryFormat(tmp, out int n, "R", System.Globalization.CultureInfo.InvariantCulture);
        w.WritePropertyName(name);
        w.WriteRawValue(tmp[..n], skipInputValidation: true);
    }

    public void Flush()
    {
        _out.Write(_buffer.WrittenSpan);
        _out.Flush();
        _buffer.Clear();
    }

    public void Dispose()
    {
        Flush();
        _writer.Dispose();
    }
}

/// <summary>A progress line on standard error, shown only when it is a terminal.</summary>
internal sealed class Progress(string what)
{
    private readonly bool _enabled = !Console.IsErrorRedirected;
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private long _lastTick;

    public void Report(int done, int tokens)
    {
        if (!_enabled) return;
        long now = _clock.ElapsedMilliseconds;
        if (now - _lastTick < 200) return;
        _lastTick = now;
        double s = Math.Max(now / 1000.0, 1e-3);
        Console.Error.Write($"\r{what}: {done} lines, {tokens / s:F0} tokens/s   ");
    }

    public void Done(int done, int tokens)
    {
        if (!_enabled || done == 0) return;
        double s = Math.Max(_clock.Elapsed.TotalSeconds, 1e-3);
        Console.Error.WriteLine($"\r{what}: {done} lines in {s:F1} s ({tokens / s:F0} tokens/s)   ");
    }
}
