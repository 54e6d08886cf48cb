using System.Buffers;
using System.Text;
using System.Text.Json;

namespace RwkvNative.Cli;

/// <summary>JSON Lines on standard input/output: one object per line in, one result per line out, in order.</summary>
internal sealed class JsonLines : IDisposable
{
    private readonly Utf8Lines _in;
    private readonly Stream _out;
    private readonly ArrayBufferWriter<byte> _buffer = new(1 << 16);
    private readonly Utf8JsonWriter _writer;

    public JsonLines(Stream input, Stream output)
    {
        _in = new Utf8Lines(input);
        _out = output;
        _writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions { SkipValidation = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    public static JsonLines Console() => new(System.Console.OpenStandardInput(), System.Console.OpenStandardOutput());

    /// <summary>Line number (1-based) of the last line read.</summary>
    public int LineNumber { get; private set; }

    /// <summary>
    /// Next non-blank line parsed as a JSON object, or null at the end of input. A line that is not UTF-8, not JSON, or
    /// JSON but not an object is refused with its line number (a UTF-8 byte order mark before the first line is allowed).
    /// </summary>
    public JsonDocument? Next()
    {
        while (_in.TryRead(out var line))
        {
            LineNumber++;
            if (LineNumber == 1 && line.Span.StartsWith(Utf8Bom)) line = line[Utf8Bom.Length..];
            if (IsBlank(line.Span)) continue;
            if (FirstInvalidUtf8(line.Span) is int at)
                throw new InputException($"line {LineNumber}: invalid UTF-8 at byte {at + 1} of the line; the input must be UTF-8 text (re-encode it, e.g. with iconv -t UTF-8)");
            JsonDocument doc;
            try { doc = JsonDocument.Parse(line); }
            catch (JsonException e) { throw new InputException($"line {LineNumber}: malformed JSON: {e.Message}"); }
            var kind = doc.RootElement.ValueKind;
            if (kind != JsonValueKind.Object)
            {
                doc.Dispose();
                throw new InputException($"line {LineNumber}: expected a JSON object such as {{\"text\": \"...\"}}, got {Describe(kind)}");
            }
            return doc;
        }
        return null;
    }

    /// <summary>Reads the string field <paramref name="name"/>, or null when absent.</summary>
    public string? String(JsonElement obj, string name)
    {
        if (!obj.TryGetProperty(name, out var v)) return null;
        if (v.ValueKind != JsonValueKind.String) throw new InputException($"line {LineNumber}: field \"{name}\" must be a string, got {Describe(v.ValueKind)}");
        return Text(v, name);
    }

    /// <summary>
    /// The text of a JSON string; a lone surrogate escape (<c>"\ud800"</c>) has no UTF-8 form, so it is refused here with the
    /// line number rather than left to fail later without one.
    /// </summary>
    public string Text(JsonElement value, string name)
    {
        try { return value.GetString()!; }
        catch (InvalidOperationException)
        {
            throw new InputException($"line {LineNumber}: field \"{name}\" holds a lone surrogate escape (such as \"\\ud800\" without its pair), which is not text; remove it or replace it with \"\\ufffd\"");
        }
    }

    /// <summary>A value's JSON text for an error message, cut to 40 characters.</summary>
    public static string Snippet(JsonElement value)
    {
        var raw = value.GetRawText();
        return raw.Length <= 40 ? raw : raw[..40] + "...";
    }

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    private static bool IsBlank(ReadOnlySpan<byte> line) => line.IndexOfAnyExcept(" \t\r"u8) < 0;

    /// <summary>Index of the first byte that is not part of a valid UTF-8 sequence, or null when the line is valid.</summary>
    private static int? FirstInvalidUtf8(ReadOnlySpan<byte> line)
    {
        if (System.Text.Unicode.Utf8.IsValid(line)) return null;
        int at = 0;
        while (at < line.Length)
        {
            if (Rune.DecodeFromUtf8(line[at..], out _, out int used) != OperationStatus.Done) return at;
            at += used;
        }
        return null;
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        JsonValueKind.Object => "an object",
        _ => kind.ToString(),
    };

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
        foreach (var v in values) WriteFloatValue(w, v, tmp);
        w.WriteEndArray();
    }

    /// <summary>One float property, in the form of <see cref="WriteFloats"/>.</summary>
    public static void WriteFloat(Utf8JsonWriter w, string name, float v)
    {
        w.WritePropertyName(name);
        WriteFloatValue(w, v, stackalloc byte[32]);
    }

    private static void WriteFloatValue(Utf8JsonWriter w, float v, Span<byte> tmp)
    {
        if (!float.IsFinite(v)) throw new InvalidOperationException($"the model produced a non-finite value ({v}); refusing to write it");
        v.TryFormat(tmp, out int n, "R", System.Globalization.CultureInfo.InvariantCulture);
        w.WriteRawValue(tmp[..n], skipInputValidation: true);
    }

    /// <summary>An array property <paramref name="name"/> of one object per item, its properties written by <paramref name="write"/>.</summary>
    public static void WriteObjects<T>(Utf8JsonWriter w, string name, IEnumerable<T> items, Action<Utf8JsonWriter, T> write)
    {
        w.WriteStartArray(name);
        foreach (var item in items)
        {
            w.WriteStartObject();
            write(w, item);
            w.WriteEndObject();
        }
        w.WriteEndArray();
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
