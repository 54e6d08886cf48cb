// Public face of checkpoint loading: an open, memory-mapped file and its tensors.

namespace RwkvNative.Checkpoints;

/// <summary>A checkpoint file (.pth zip or .safetensors), opened read-only and memory-mapped.</summary>
/// <remarks>
/// Opening validates the whole structure: zip directory, pickle (restricted: only tensors, dicts, lists, tuples,
/// numbers and strings can be built; any other global or opcode is an <see cref="UnsafePickleException"/>), every
/// tensor's layout and bounds. Once open, tensors can be read from many threads at once; spans from
/// <see cref="CheckpointTensor.RawBytes"/> die with the checkpoint. The file must not be truncated by another process
/// while it is open (a mapped read past the new end faults).
/// </remarks>
public sealed class Checkpoint : IDisposable
{
    private readonly Dictionary<string, CheckpointTensor> _tensors;
    private readonly Dictionary<string, object> _values;
    private readonly Dictionary<string, string> _metadata;
    private readonly Dictionary<string, string> _unsupported;

    private Checkpoint(MappedFile file, CheckpointFormat format, CheckpointContents contents)
    {
        File = file;
        Format = format;
        _tensors = new Dictionary<string, CheckpointTensor>(contents.Tensors.Count, StringComparer.Ordinal);
        foreach (var t in contents.Tensors)
            _tensors.Add(t.Name, new CheckpointTensor(this, t.Name, t.DType, t.Shape, t.ElementCount, t.FileOffset));
        _values = contents.Values;
        _metadata = contents.Metadata;
        _unsupported = contents.Unsupported;
    }

    internal MappedFile File { get; }

    /// <summary>Opens a .pth or .safetensors file (detected from its content).</summary>
    /// <exception cref="CheckpointFormatException">The file is truncated, corrupt or of another format.</exception>
    /// <exception cref="UnsafePickleException">The pickle asks for a global or opcode outside the allow-list.</exception>
    /// <exception cref="TensorLayoutException">A tensor is not dense or lies outside its storage.</exception>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    public static Checkpoint Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var file = MappedFile.Open(path);
        try
        {
            var format = DetectFormat(file);
            var contents = format == CheckpointFormat.PyTorchZip ? PthLoader.Load(file) : SafeTensorsReader.Load(file);
            return new Checkpoint(file, format, contents);
        }
        catch (Exception e) when (e is not CheckpointException and not OutOfMemoryException)
        {
            file.Dispose();
            // Any other failure while decoding untrusted bytes is still a bad file, never a crash.
            throw new CheckpointFormatException($"{file.Path}: cannot read checkpoint: {e.Message}", e);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Full path of the file.</summary>
    public string Path => File.Path;

    /// <summary>Container format, detected from the content.</summary>
    public CheckpointFormat Format { get; }

    /// <summary>Every tensor by key (bf16, fp16 and fp32 ones; see <see cref="UnsupportedTensors"/> for the rest).</summary>
    public IReadOnlyDictionary<string, CheckpointTensor> Tensors => _tensors;

    /// <summary>
    /// Non-tensor entries of a .pth state dict (e.g. <c>reranker_layer_idx</c> → <c>long[]</c>). Ints are
    /// <c>long</c>, floats <c>double</c>; lists/tuples of ints, floats, strings or bools become <c>long[]</c>,
    /// <c>double[]</c>, <c>string[]</c>, <c>bool[]</c> (an empty one becomes an empty <c>long[]</c>), other sequences <c>object?[]</c>; dicts become
    /// <c>IReadOnlyDictionary&lt;string, object?&gt;</c>. Top-level <c>None</c> entries are left out. Small integer
    /// tensors (at most 65536 elements, e.g. a layer list saved as a LongTensor) appear here too, flattened to
    /// <c>long[]</c>, in either format; they are also listed in <see cref="UnsupportedTensors"/>.
    /// </summary>
    public IReadOnlyDictionary<string, object> Values => _values;

    /// <summary>safetensors <c>__metadata__</c> (empty for .pth).</summary>
    public IReadOnlyDictionary<string, string> Metadata => _metadata;

    /// <summary>
    /// Tensors whose dtype is not bf16/fp16/fp32, by key, with the dtype as the file names it (e.g.
    /// <c>torch.LongStorage</c>, <c>I64</c>). They are not in <see cref="Tensors"/>; <see cref="Get(string)"/> on one
    /// throws <see cref="UnsupportedDTypeException"/>.
    /// </summary>
    public IReadOnlyDictionary<string, string> UnsupportedTensors => _unsupported;

    /// <summary>The tensor <paramref name="key"/>; a <see cref="CheckpointException"/> naming the key and file if absent.</summary>
    /// <exception cref="UnsupportedDTypeException">The key holds a tensor of another dtype.</exception>
    public CheckpointTensor Get(string key)
    {
        if (_tensors.TryGetValue(key, out var t)) return t;
        if (_unsupported.TryGetValue(key, out var dtype))
            throw new UnsupportedDTypeException(
                $"{Path}: tensor '{key}' has unsupported dtype {dtype}; only bf16, fp16 and fp32 tensors can be read", key, dtype);
        if (_values.TryGetValue(key, out var value))
            throw new CheckpointException($"{Path}: '{key}' is a {value.GetType().Name} value, not a tensor");
        throw new CheckpointException($"{Path}: no tensor '{key}' ({_tensors.Count} tensors in the file)");
    }

    /// <summary>The tensor <paramref name="key"/>, checked to have <paramref name="shape"/> (error names key, expected and actual shape).</summary>
    public CheckpointTensor Get(string key, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var t = Get(key);
        bool same = t.Shape.Count == shape.Length;
        for (int i = 0; same && i < shape.Length; i++) same = t.Shape[i] == shape[i];
        if (!same)
            throw new CheckpointException($"{Path}: tensor '{key}' has shape [{string.Join(",", t.Shape)}], expected [{string.Join(",", shape)}]");
        return t;
    }

    /// <summary>Disposes the mapping.</summary>
    public void Dispose() => File.Dispose();

    private static CheckpointFormat DetectFormat(MappedFile file)
    {
        var head = file.Slice(0, Math.Min(file.Length, 9), "file header");
        if (head.Length >= 4 && head[0] == 'P' && head[1] == 'K' && ((head[2] == 3 && head[3] == 4) || (head[2] == 5 && head[3] == 6)))
            return CheckpointFormat.PyTorchZip;
        if (head.Length >= 9 && head[8] == '{') return CheckpointFormat.SafeTensors;
        if (head[0] == 0x80)
            throw new CheckpointFormatException($"{file.Path}: this is a legacy (pre-1.6, non-zip) torch.save file; re-save it with a current torch.save");
        throw new CheckpointFormatException($"{file.Path}: neither a PyTorch zip checkpoint (PK\\x03\\x04) nor a safetensors file (u64 length + JSON)");
    }
}
