namespace RwkvNative.Cli;

/// <summary>A store holds damage that the command worked around (exit code 1, after every intact record was served).</summary>
internal sealed class StoreDamageException(string message) : Exception(message);
