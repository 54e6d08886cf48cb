using RwkvNative.Checkpoints;

namespace RwkvNative.Cli;

/// <summary>Turns an exception into the contract's one-line <c>error: </c> message and exit code.</summary>
internal static partial class Errors
{
    /// <summary>Set to 1 to have the whole exception (type, stack trace) printed after the one-line message.</summary>
    public const string TraceVariable = "RWKV_EMB_TRACE";

    public static int Report(Exception e)
    {
        var (code, message) = Describe(e);
        Console.Error.WriteLine("error: " + message);
        if (Environment.GetEnvironmentVariable(TraceVariable) == "1") Console.Error.WriteLine(e.ToString());
        return code;
    }

    /// <summary>
    /// The exit code and the one-line message for a failure: words for the user, never an exception type name nor the
    /// " (Parameter 'x')" that .NET appends to argument errors.
    /// </summary>
    public static (int Code, string Message) Describe(Exception e)
    {
        var (code, message) = e switch
        {
            InputException => (ExitCodes.BadInput, e.Message),
            StoreDamageException => (ExitCodes.Failure, e.Message),
            FileNotFoundException f => (ExitCodes.BadInput, $"file not found: {f.FileName ?? f.Message}"),
            DirectoryNotFoundException => (ExitCodes.BadInput, e.Message),
            UnauthorizedAccessException => (ExitCodes.BadInput, $"permission denied: {e.Message} Check the permissions of the file or folder."),
            CheckpointException => (ExitCodes.BadInput, e.Message),
            ArgumentException => (ExitCodes.BadInput, e.Message),
            NotSupportedException => (ExitCodes.Failure, e.Message),
            OperationCanceledException => (ExitCodes.Failure, "cancelled"),
            IOException => (ExitCodes.Failure, $"input/output failure: {e.Message}"),
            OutOfMemoryException => (ExitCodes.Failure, "out of memory: use a smaller --batch-size or shorter inputs"),
            _ => (ExitCodes.Failure, $"{e.Message} (an unexpected failure: set {TraceVariable}=1 for the details and report it)"),
        };
        message = ParameterSuffix().Replace(message, "").ReplaceLineEndings(" ").Trim();
        return (code, message);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@" ?\(Parameter '[^']*'\)")]
    private static partial System.Text.RegularExpressions.Regex ParameterSuffix();
}
