namespace RwkvNative.Checkpoints;

/// <summary>
/// A tensor's layout cannot be read as a dense row-major array inside its storage: non-dense strides, negative offsets,
/// or elements outside the storage / data region. The message names the key.
/// </summary>
public sealed class TensorLayoutException : CheckpointException
{
    /// <summary>Creates the exception.</summary>
    public TensorLayoutException(string message, string key) : base(message) => Key = key;

    /// <summary>The tensor's key.</summary>
    public string Key { get; }
}
