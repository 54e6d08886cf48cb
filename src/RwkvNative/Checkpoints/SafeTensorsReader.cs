// Reads a safetensors file: u64 header length, JSON header, then the data region the header's offsets point into.
using System.Buffers.Binary;
using System.Text.Json;

namespace RwkvNative.Checkpoints;

/// <summary>
/// Parses and validates a safetensors header: every tensor's offsets must lie inside the data region, match its
/// shape × dtype exactly and not overlap another tensor. dtypes other than BF16/F16/F32 are listed as unsupported.
/// </summary>
internal static class SafeTensorsReader
{
    /// <summary>Largest header accepted (the reference implementation's limit).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private static readonly Dictionary<string, int> OtherDTypeSizes = new(StringComparer.Ordinal)
    {
        ["F64"] = 8, ["I64"] = 8, ["U64"] = 8, ["I32"] = 4, ["U32"] = 4, ["I16"] = 2, ["U16"] = 2,
        ["I8"] = 1, ["U8"] = 1, ["BOOL"] = 1, ["F8_E4M3"] = 1, ["F8_E5M2"] = 1, ["C64"] = 8,
    };

    public static CheckpointContents Load(MappedFile file)
    {
        if (file.Length < 8) throw Format(file, $"only {file.Length} bytes: too short for a safetensors file");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file.Slice(0, 8, "header length"));
        if (headerLength > (ulong)(file.Length - 8))
            throw Format(file, $"header length {headerLength} runs past the end of the file ({file.Length} bytes); truncated or corrupt");
        if (headerLength > MaxHeaderBytes)
            throw Format(file, $"header length {headerLength} exceeds the {MaxHeaderBytes}-byte limit");
        long dataStart = 8 + (long)headerLength;
        long dataLength = file.Length - dataStart;

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(file.Slice(8, (long)headerLength, "header").ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw Format(file, $"the header is not valid JSON: {e.Message}", e);
        }

        var contents = new CheckpointContents();
        var ranges = new List<(long Begin, long End, string Key)>();
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Format(file, "the header is not a JSON object");
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                string key = property.Name;
                if (!seen.Add(key)) throw Format(file, $"key '{key}' appears twice in the header");
                if (key == "__metadata__")
                {
                    ReadMetadata(file, property.Value, contents.Metadata);
                    continue;
                }
                ReadTensor(file, key, property.Value, dataStart, dataLength, contents, ranges);
            }
        }

        ranges.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        for (int i = 1; i < ranges.Count; i++)
            if (ranges[i].Begin < ranges[i - 1].End)
                throw new TensorLayoutException(
                    $"{file.Path}: tensor '{ranges[i].Key}' data [{ranges[i].Begin}, {ranges[i].End}) overlaps tensor '{ranges[i - 1].Key}' [{ranges[i - 1].Begin}, {ranges[i - 1].End})",
                    ranges[i].Key);
        return contents;
    }

    private static void ReadMetadata(MappedFile file, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object) throw Format(file, "__metadata__ is not an object");
        foreach (var p in value.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.String) throw Format(file, $"__metadata__ entry '{p.Name}' is not a string");
            metadata[p.Name] = p.Value.GetString()!;
        }
    }

    private static void ReadTensor(MappedFile file, string key, JsonElement info, long dataStart, long dataLength,
        CheckpointContents contents, List<(long Begin, long End, string Key)> ranges)
    {
        if (info.ValueKind != JsonValueKind.Object) throw Format(file, $"tensor '{key}': header entry is not an object");
        if (!info.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw Format(file, $"tensor '{key}': missing string 'dtype'");
        if (!info.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw Format(file, $"tensor '{key}': missing array 'shape'");
        if (!info.TryGetProperty("data_offsets", out var offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array || offsetsElement.GetArrayLength() != 2)
            throw Format(file, $"tensor '{key}': missing 'data_offsets' [begin, end]");

        string dtypeName = dtypeElement.GetString()!;
        var dims = new long[shapeElement.GetArrayLength()];
        int i = 0;
        foreach (var d in shapeElement.EnumerateArray())
            dims[i++] = d.ValueKind == JsonValueKind.Number && d.TryGetInt64(out long v) ? v : throw Format(file, $"tensor '{key}': shape holds a non-integer");
        var (shape, count) = TensorShapes.Check(file.Path, key, dims);

        long begin = Offset(file, key, offsetsElement[0]), end = Offset(file, key, offsetsElement[1]);
        if (begin > end || end > dataLength)
            throw new TensorLayoutException(
                $"{file.Path}: tensor '{key}' data_offsets [{begin}, {end}) lie outside the data region of {dataLength} bytes", key);

        TensorDType? dtype = dtypeName switch
        {
            "BF16" => TensorDType.BFloat16,
            "F16" => TensorDType.Float16,
            "F32" => TensorDType.Float32,
            _ => null,
        };
        int size = dtype is { } t ? DTypeConverter.ElementSize(t) : OtherDTypeSizes.GetValueOrDefault(dtypeName);
        if (size > 0 && end - begin != count * size)
            throw new TensorLayoutException(
                $"{file.Path}: tensor '{key}' data_offsets [{begin}, {end}) hold {end - begin} bytes but shape [{string.Join(",", shape)}] of {dtypeName} needs {count * size}", key);
        if (end > begin) ranges.Add((begin, end, key));

        if (dtype is { } supported) contents.Tensors.Add(new TensorEntry(key, supported, shape, count, dataStart + begin));
        else
        {
            contents.Unsupported.Add(key, dtypeName);
            if (IntegerTensorValues.TryRead(file, dtypeName, dataStart + begin, count) is { } ints) contents.Values.Add(key, ints);
        }
    }

    private static long Offset(MappedFile file, string key, JsonElement e) =>
        e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out long v) && v >= 0 ? v : throw Format(file, $"tensor '{key}': data_offsets must be non-negative integers");

    private static CheckpointFormatException Format(MappedFile file, string message, Exception? inner = null) =>
        new($"{file.Path}: safetensors: {message}", inner);
}
