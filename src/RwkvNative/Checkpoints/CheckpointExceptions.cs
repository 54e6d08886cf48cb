// The exception family of checkpoint loading: one base type, one subtype per kind of problem.
namespace RwkvNative.Checkpoints;

/// <summary>A checkpoint that cannot be read or is not what was expected; the message names file and key.</summary>
public class CheckpointException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CheckpointException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>
/// The file's structure is broken: truncated or inconsistent zip, offsets or sizes outside the file, malformed pickle or
/// safetensors header, a storage entry missing or shorter than declared.
/// </summary>
public class CheckpointFormatException : CheckpointException
{
    /// <summary>Creates the exception.</summary>
    public CheckpointFormatException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>
/// The pickle asks for something this loader refuses to do: a global outside the allow-list, a call (REDUCE) or BUILD
/// on anything but the allow-listed tensor/dict constructors, or an opcode it does not implement. Nothing is executed.
/// </summary>
public sealed class UnsafePickleException : CheckpointException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">Full message (names the file, the global or opcode and its offset in data.pkl).</param>
    /// <param name="global">The offending global as <c>module.name</c>, when a global is the problem.</param>
    /// <param name="opcode">The offending opcode byte, when an opcode is the problem.</param>
    public UnsafePickleException(string message, string? global = null, byte? opcode = null) : base(message)
    {
        Global = global;
        Opcode = opcode;
    }

    /// <summary>The refused global as <c>module.name</c> (e.g. <c>os.system</c>), or null.</summary>
    public string? Global { get; }

    /// <summary>The refused opcode byte, or null.</summary>
    public byte? Opcode { get; }
}

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
