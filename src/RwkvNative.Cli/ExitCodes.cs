namespace RwkvNative.Cli;

/// <summary>Exit codes of the CLI contract.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int BadInput = 2;
}
