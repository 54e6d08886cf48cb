// The exception family of checkpoint loading: one base type (this file), one subtype per kind of problem.
namespace RwkvNative.Checkpoints;

/// <summary>A checkpoint that cannot be read or is not what was expected; the message names file and key.</summary>
public class CheckpointException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CheckpointException(string message, Exception? inner = null) : base(message, inner) { }
}
