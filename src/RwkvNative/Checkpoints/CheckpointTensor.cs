namespace RwkvNative.Checkpoints;

/// <summary>A dense tensor inside an open checkpoint (memory-mapped; valid while the checkpoint is open).</summary>
/// <remarks>
/// Reading from many threads at once is safe. <see cref="CopyTo"/> and <see cref="ToFloat32"/> keep the mapping alive
/// while they run, so a concurrent <see cref="Checkpoint.Dispose"/> only makes later calls throw
/// <see cref="ObjectDisposedException"/>; a <see cref="RawBytes"/> span must not outlive the checkpoint.
/// </remarks>
public sealed unsafe class CheckpointTensor
{
    private readonly Checkpoint _owner;
    private readonly long _fileOffset;

    internal CheckpointTensor(Checkpoint owner, string name, TensorDType dtype, int[] shape, long elementCount, long fileOffset)
    {
        _owner = owner;
        Name = name;
        DType = dtype;
        Shape = Array.AsReadOnly(shape);
        ElementCount = elementCount;
        _fileOffset = fileOffset;
    }

    /// <summary>Key in the checkpoint.</summary>
    public string Name { get; }

    /// <summary>Stored element type.</summary>
    public TensorDType DType { get; }

    /// <summary>Shape, outermost first.</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>Product of the shape.</summary>
    public long ElementCount { get; }

    /// <summary>Size of the stored data in bytes (ElementCount × element size).</summary>
    public long ByteLength => ElementCount * DTypeConverter.ElementSize(DType);

    /// <summary>Converts the elements (row-major) to float32 into <paramref name="destination"/> (length = ElementCount).</summary>
    /// <exception cref="ArgumentException">The destination length differs from <see cref="ElementCount"/>.</exception>
    /// <exception cref="ObjectDisposedException">The checkpoint was disposed.</exception>
    public void CopyTo(Span<float> destination)
    {
        if (destination.Length != ElementCount)
            throw new ArgumentException($"{Name}: destination holds {destination.Length} floats, the tensor has {ElementCount}", nameof(destination));
        // The reference keeps the mapping alive even if the checkpoint is disposed while this runs.
        byte* src = _owner.File.AddReference() + _fileOffset;
        try
        {
            fixed (float* dst = destination)
                DTypeConverter.ToSingle(DType, src, dst, ElementCount);
        }
        finally
        {
            _owner.File.ReleaseReference();
        }
    }

    /// <summary>A new float32 array of the elements, row-major.</summary>
    public float[] ToFloat32()
    {
        if (ElementCount > Array.MaxLength)
            throw new CheckpointException($"{_owner.Path}: tensor '{Name}' has {ElementCount} elements, more than one array can hold");
        var result = GC.AllocateUninitializedArray<float>((int)ElementCount);
        CopyTo(result);
        return result;
    }

    /// <summary>The stored bytes, row-major, dense (little-endian), valid while the checkpoint is open.</summary>
    /// <exception cref="CheckpointException">The tensor is larger than 2 GiB (use <see cref="CopyTo"/> on a region instead).</exception>
    public ReadOnlySpan<byte> RawBytes
    {
        get
        {
            long length = ByteLength;
            if (length > int.MaxValue)
                throw new CheckpointException($"{_owner.Path}: tensor '{Name}' is {length} bytes, more than one span can address");
            return new ReadOnlySpan<byte>(_owner.File.Pointer + _fileOffset, (int)length);
        }
    }

    /// <summary>The shape as text, e.g. <c>[65536,128]</c>.</summary>
    public override string ToString() => $"{Name} {DType} [{string.Join(",", Shape)}]";
}
