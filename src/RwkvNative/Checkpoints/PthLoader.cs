// Turns a torch.save zip (data.pkl + data/<key> storages) into tensor entries pointing into the mapping.
namespace RwkvNative.Checkpoints;

/// <summary>
/// Loads a PyTorch zip checkpoint: finds <c>&lt;prefix&gt;/data.pkl</c>, reads it with the restricted
/// <see cref="PickleReader"/>, and resolves each tensor to a dense range of its stored <c>&lt;prefix&gt;/data/&lt;key&gt;</c> entry.
/// </summary>
internal static class PthLoader
{
    /// <summary>Largest data.pkl accepted (state dicts of billion-parameter models are well under 1 MiB).</summary>
    public const long MaxPickleBytes = 256L << 20;

    /// <summary>Deepest nesting of non-tensor values (also stops reference cycles).</summary>
    public const int MaxValueDepth = 32;

    public static CheckpointContents Load(MappedFile file)
    {
        var zip = ZipCentralDirectory.Read(file);
        ZipEntry? pickleEntry = null;
        foreach (var e in zip.Entries.Values)
        {
            if (e.Name != "data.pkl" && !e.Name.EndsWith("/data.pkl", StringComparison.Ordinal)) continue;
            if (pickleEntry is { } first)
                throw new CheckpointFormatException($"{file.Path}: two pickles ('{first.Name}', '{e.Name}'); which one is the state dict is ambiguous");
            pickleEntry = e;
        }
        if (pickleEntry is not { } pkl)
            throw new CheckpointFormatException($"{file.Path}: zip has no '<prefix>/data.pkl': not a torch.save checkpoint");
        string prefix = pkl.Name[..^"data.pkl".Length];

        // torch >= 2.1 records the byte order of the storages; only little-endian data can be mapped as is.
        if (zip.Entries.TryGetValue(prefix + "byteorder", out var byteOrderEntry))
        {
            var (boOffset, boLength) = zip.GetStoredData(byteOrderEntry);
            string order = System.Text.Encoding.ASCII.GetString(file.Slice(boOffset, Math.Min(boLength, 16), "byteorder")).Trim();
            if (order != "little")
                throw new CheckpointFormatException($"{file.Path}: storages are stored with byte order '{order}'; only little-endian checkpoints are supported");
        }

        var (pklOffset, pklLength) = zip.GetStoredData(pkl);
        if (pklLength > MaxPickleBytes)
            throw new CheckpointFormatException($"{file.Path}: {pkl.Name} is {pklLength} bytes (limit {MaxPickleBytes})");
        var root = PickleReader.Read(file.Slice(pklOffset, pklLength, pkl.Name).ToArray(), $"{file.Path}: {pkl.Name}");
        if (root is not PickleDict dict)
            throw new CheckpointFormatException($"{file.Path}: {pkl.Name} holds {root?.GetType().Name ?? "None"}, not a state dict (dict of name -> tensor)");

        var contents = new CheckpointContents();
        var storages = new Dictionary<string, (long Offset, long Length)>(StringComparer.Ordinal);
        foreach (var (k, value) in dict.Entries)
        {
            if (k is not string key)
                throw new CheckpointFormatException($"{file.Path}: state dict key {k} is not a string");
            switch (value)
            {
                case TensorRef t:
                    AddTensor(file, zip, prefix, storages, contents, key, t);
                    break;
                case null:
                    break;
                default:
                    contents.Values.Add(key, ConvertValue(file, key, value, 0)!);
                    break;
            }
        }
        return contents;
    }

    private static void AddTensor(MappedFile file, ZipCentralDirectory zip, string prefix,
        Dictionary<string, (long Offset, long Length)> storages, CheckpointContents contents, string key, TensorRef t)
    {
        var storage = t.Storage;
        if (t.Size.Length != t.Stride.Length)
            throw new TensorLayoutException($"{file.Path}: tensor '{key}' has {t.Size.Length} sizes but {t.Stride.Length} strides", key);
        var (shape, count) = TensorShapes.Check(file.Path, key, t.Size);

        // Dense row-major: each dim's stride is the product of the later sizes (any stride is fine on a size-1 dim).
        if (count > 0)
        {
            long expected = 1;
            for (int d = shape.Length - 1; d >= 0; d--)
            {
                if (shape[d] != 1 && t.Stride[d] != expected)
                    throw new TensorLayoutException(
                        $"{file.Path}: tensor '{key}' has strides ({string.Join(",", t.Stride)}) for shape [{string.Join(",", shape)}]: not a dense row-major tensor (expected stride {expected} in dim {d})", key);
                expected *= shape[d];
            }
        }
        if (t.Offset < 0)
            throw new TensorLayoutException($"{file.Path}: tensor '{key}' has negative storage offset {t.Offset}", key);

        if (!storages.TryGetValue(storage.Key, out var range))
        {
            string entryName = prefix + "data/" + storage.Key;
            if (!zip.Entries.TryGetValue(entryName, out var entry))
                throw new CheckpointFormatException($"{file.Path}: storage '{storage.Key}' of tensor '{key}' is missing (no zip entry '{entryName}')");
            range = zip.GetStoredData(entry);
            storages.Add(storage.Key, range);
        }
        int size = storage.Type.StorageElementSize;
        string dtypeName = storage.Type.StorageDType?.ToString() ?? storage.Type.QualifiedName;
        if (storage.ElementCount > range.Length / size)
            throw new CheckpointFormatException(
                $"{file.Path}: storage '{storage.Key}' of tensor '{key}' declares {storage.ElementCount} {dtypeName} elements but its entry holds only {range.Length} bytes");
        if (count > 0 && (t.Offset > storage.ElementCount || count > storage.ElementCount - t.Offset))
            throw new TensorLayoutException(
                $"{file.Path}: tensor '{key}' reads elements [{t.Offset}, {t.Offset + count}) but its storage '{storage.Key}' has only {storage.ElementCount}", key);
        long dataOffset = range.Offset + t.Offset * size;
        if (storage.Type.StorageDType is { } dtype)
        {
            contents.Tensors.Add(new TensorEntry(key, dtype, shape, count, dataOffset));
            return;
        }
        contents.Unsupported.Add(key, storage.Type.QualifiedName);
        if (IntegerTensorValues.TryRead(file, IntegerTensorValues.FromTorchStorage(storage.Type.QualifiedName), dataOffset, count) is { } ints)
            contents.Values.Add(key, ints);
    }

    private static object? ConvertValue(MappedFile file, string path, object? value, int depth)
    {
        if (depth > MaxValueDepth)
            throw new CheckpointFormatException($"{file.Path}: value '{path}' is nested more than {MaxValueDepth} levels deep (or is cyclic)");
        switch (value)
        {
            case null or string or long or double or bool:
                return value;
            case PickleList l:
                return ConvertSequence(file, path, l.Items.ToArray(), depth);
            case PickleTuple t:
                return ConvertSequence(file, path, t.Items, depth);
            case PickleDict d:
            {
                var r = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var (k, v) in d.Entries)
                {
                    string ks = k switch
                    {
                        string s => s,
                        long or double or bool => Convert.ToString(k, System.Globalization.CultureInfo.InvariantCulture)!,
                        _ => throw new CheckpointFormatException($"{file.Path}: value '{path}' is a dict with a non-scalar key"),
                    };
                    r[ks] = ConvertValue(file, path + "." + ks, v, depth + 1);
                }
                return r;
            }
            case TensorRef:
                throw new CheckpointFormatException($"{file.Path}: '{path}' is a tensor nested inside a container; only top-level tensors are supported");
            default:
                throw new CheckpointFormatException($"{file.Path}: '{path}' holds an unsupported object ({value.GetType().Name})");
        }
    }

    private static object ConvertSequence(MappedFile file, string path, object?[] items, int depth)
    {
        if (items.Length == 0) return Array.Empty<long>(); // an empty list reads as an empty int list
        if (Array.TrueForAll(items, x => x is long)) return Array.ConvertAll(items, x => (long)x!);
        if (Array.TrueForAll(items, x => x is double)) return Array.ConvertAll(items, x => (double)x!);
        if (Array.TrueForAll(items, x => x is string)) return Array.ConvertAll(items, x => (string)x!);
        if (Array.TrueForAll(items, x => x is bool)) return Array.ConvertAll(items, x => (bool)x!);
        var r = new object?[items.Length];
        for (int i = 0; i < items.Length; i++) r[i] = ConvertValue(file, $"{path}[{i}]", items[i], depth + 1);
        return r;
    }
}
