using RwkvNative.Checkpoints;

namespace RwkvNative.Cli;

/// <summary>Exit codes of the CLI contract.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int BadInput = 2;
}

/// <summary>An error in the user's input or usage (exit code 2); the message says where and what to do.</summary>
internal sealed class InputException(string message) : Exception(message);

/// <summary>Turns an exception into the contract's one-line <c>error: </c> message and exit code.</summary>
internal static class Errors
{
    public static int Report(Exception e)
    {
        var (code, message) = e switch
        {
            InputException => (ExitCodes.BadInput, e.Message),
            StoreDamageException => (ExitCodes.Failure, e.Message),
            FileNotFoundException f => (ExitCodes.BadInput, $"file not found: {f.FileName ?? f.Message}"),
            DirectoryNotFoundException => (ExitCodes.BadInput, e.Message),
            CheckpointException => (ExitCodes.BadInput, e.Message),
            ArgumentException => (ExitCodes.BadInput, e.Message),
            NotSupportedException => (ExitCodes.Failure, e.Message),
            OperationCanceledException => (ExitCodes.Failure, "cancelled"),
            _ => (ExitCodes.Failure, $"{e.GetType().Name}: {e.Message}"),
        };
        Console.Error.WriteLine("error: " + message.ReplaceLineEndings(" "));
        return code;
    }
}
