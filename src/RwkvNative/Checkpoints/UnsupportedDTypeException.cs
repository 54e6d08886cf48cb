namespace RwkvNative.Checkpoints;

/// <summary>A tensor whose element type is not bf16, fp16 or fp32 was requested; the message names key and dtype.</summary>
public sealed class UnsupportedDTypeException : CheckpointException
{
    /// <summary>Creates the exception.</summary>
    public UnsupportedDTypeException(string message, string key, string dtype) : base(message)
    {
        Key = key;
        DType = dtype;
    }

    /// <summary>The tensor's key.</summary>
    public string Key { get; }

    /// <summary>The stored dtype as the file names it (e.g. <c>torch.DoubleStorage</c>, <c>I64</c>).</summary>
    public string DType { get; }
}
