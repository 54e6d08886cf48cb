// Writes safetensors files atomically (temp file in the same folder, flushed, then renamed over the target).
using System.Runtime.InteropServices;
using System.Text.Json;

namespace RwkvNative.Checkpoints;

/// <summary>
/// Writes tensors as a safetensors file: u64 little-endian header length, a JSON header (space-padded to a multiple of
/// 8 bytes; <c>__metadata__</c> first) and the tensors' bytes in the given order. The file appears atomically: it is
/// written to a temporary file beside <c>path</c>, flushed to disk and renamed over <c>path</c>.
/// </summary>
public static class SafeTensorsWriter
{
    /// <summary>Writes float32 tensors (dtype F32).</summary>
    /// <param name="path">Target file; replaced if it exists.</param>
    /// <param name="tensors">Name, shape (outermost first) and row-major data of each tensor; names unique, data length = product of shape.</param>
    /// <param name="metadata">Optional <c>__metadata__</c> string map.</param>
    public static void Write(string path, IEnumerable<(string Name, int[] Shape, float[] Data)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var list = new List<Item>();
        foreach (var (name, shape, data) in tensors)
        {
            ArgumentNullException.ThrowIfNull(data, nameof(tensors));
            list.Add(new Item(name, shape, "F32", data.Length, s => s.Write(MemoryMarshal.AsBytes(data.AsSpan()))));
        }
        WriteFile(path, list, metadata);
    }

    /// <summary>Writes half-precision tensors (dtype F16).</summary>
    /// <param name="path">Target file; replaced if it exists.</param>
    /// <param name="tensors">Name, shape (outermost first) and row-major data of each tensor; names unique, data length = product of shape.</param>
    /// <param name="metadata">Optional <c>__metadata__</c> string map.</param>
    public static void Write(string path, IEnumerable<(string Name, int[] Shape, Half[] Data)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var list = new List<Item>();
        foreach (var (name, shape, data) in tensors)
        {
            ArgumentNullException.ThrowIfNull(data, nameof(tensors));
            list.Add(new Item(name, shape, "F16", data.Length, s => s.Write(MemoryMarshal.AsBytes(data.AsSpan()))));
        }
        WriteFile(path, list, metadata);
    }

    /// <summary>Writes tensors given as raw little-endian bytes of any supported dtype (BF16, F16, F32).</summary>
    /// <param name="path">Target file; replaced if it exists.</param>
    /// <param name="tensors">Name, dtype, shape (outermost first) and row-major bytes of each tensor; names unique,
    /// byte length = product of shape × element size.</param>
    /// <param name="metadata">Optional <c>__metadata__</c> string map.</param>
    public static void Write(string path, IEnumerable<(string Name, TensorDType DType, int[] Shape, byte[] Data)> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var list = new List<Item>();
        foreach (var (name, dtype, shape, data) in tensors)
        {
            ArgumentNullException.ThrowIfNull(data, nameof(tensors));
            var (tag, size) = dtype switch
            {
                TensorDType.BFloat16 => ("BF16", 2),
                TensorDType.Float16 => ("F16", 2),
                TensorDType.Float32 => ("F32", 4),
                _ => throw new ArgumentException($"tensor '{name}': unsupported dtype {dtype}", nameof(tensors)),
            };
            if (data.Length % size != 0)
                throw new ArgumentException($"tensor '{name}': {data.Length} bytes is not a whole number of {tag} elements", nameof(tensors));
            list.Add(new Item(name, shape, tag, data.Length / size, s => s.Write(data)));
        }
        WriteFile(path, list, metadata);
    }

    private sealed record Item(string Name, int[] Shape, string DType, long Length, Action<Stream> WriteData);

    private static void WriteFile(string path, List<Item> items, IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors data is little-endian; this machine is not");
        var header = BuildHeader(items, metadata);
        int padded = (header.Length + 7) / 8 * 8;

        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        string temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                Span<byte> length = stackalloc byte[8];
                System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
                stream.Write(length);
                stream.Write(header);
                for (int i = header.Length; i < padded; i++) stream.WriteByte((byte)' ');
                foreach (var item in items) item.WriteData(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    private static byte[] BuildHeader(List<Item> items, IReadOnlyDictionary<string, string>? metadata)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata)
                {
                    ArgumentNullException.ThrowIfNull(v, nameof(metadata));
                    json.WriteString(k, v);
                }
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var item in items)
            {
                if (string.IsNullOrEmpty(item.Name) || item.Name == "__metadata__")
                    throw new ArgumentException($"invalid tensor name '{item.Name}'", "tensors");
                if (!names.Add(item.Name)) throw new ArgumentException($"tensor '{item.Name}' appears twice", "tensors");
                ArgumentNullException.ThrowIfNull(item.Shape, "tensors");
                long count = 1;
                foreach (int d in item.Shape)
                {
                    if (d < 0) throw new ArgumentException($"tensor '{item.Name}': negative dimension {d}", "tensors");
                    count = checked(count * d);
                }
                if (count != item.Length)
                    throw new ArgumentException($"tensor '{item.Name}': shape [{string.Join(",", item.Shape)}] has {count} elements but the data has {item.Length}", "tensors");
                long bytes = count * (item.DType == "F32" ? 4 : 2);
                json.WriteStartObject(item.Name);
                json.WriteString("dtype", item.DType);
                json.WriteStartArray("shape");
                foreach (int d in item.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes;
            }
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
