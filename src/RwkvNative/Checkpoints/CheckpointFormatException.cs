namespace RwkvNative.Checkpoints;

/// <summary>
/// The file's structure is broken: truncated or inconsistent zip, offsets or sizes outside the file, malformed pickle or
/// safetensors header, a storage entry missing or shorter than declared.
/// </summary>
public class CheckpointFormatException : CheckpointException
{
    /// <summary>Creates the exception.</summary>
    public CheckpointFormatException(string message, Exception? inner = null) : base(message, inner) { }
}
