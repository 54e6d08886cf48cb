namespace RwkvNative.Cli;

/// <summary>An error in the user's input or usage (exit code 2); the message says where and what to do.</summary>
internal sealed class InputException(string message) : Exception(message);
