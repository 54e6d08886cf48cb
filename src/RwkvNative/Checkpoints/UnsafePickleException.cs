namespace RwkvNative.Checkpoints;

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
