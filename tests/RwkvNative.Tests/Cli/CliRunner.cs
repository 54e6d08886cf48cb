using System.Diagnostics;

namespace RwkvNative.Tests.Cli;

/// <summary>Runs the real rwkv-emb binary (built beside the tests) as a child process with stdin, and captures its output.</summary>
internal static class CliRunner
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string[] Lines => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    public static string Dll => Path.Combine(AppContext.BaseDirectory, "rwkv-emb.dll");

    public static Result Run(string stdin, params string[] args) => Run(new System.Text.UTF8Encoding(false).GetBytes(stdin), args);

    /// <summary>Runs with these exact bytes on standard input (for input that is not valid UTF-8).</summary>
    public static Result Run(byte[] stdin, params string[] args) => Run(stdin, new Dictionary<string, string>(), args);

    /// <summary>
    /// Runs with <paramref name="environment"/> added to the child's environment (e.g. <c>DOTNET_EnableHWIntrinsic=0</c>,
    /// which turns off the runtime's SIMD instruction sets so the portable kernels are the ones chosen).
    /// </summary>
    public static Result Run(IReadOnlyDictionary<string, string> environment, params string[] args) => Run([], environment, args);

    private static Result Run(byte[] stdin, IReadOnlyDictionary<string, string> environment, string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Fixtures.Directory,
        };
        foreach (var (name, value) in environment) psi.Environment[name] = value;
        psi.ArgumentList.Add(Dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.StandardInput.BaseStream.Write(stdin);
        p.StandardInput.Close();
        if (!p.WaitForExit(120_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"rwkv-emb {string.Join(' ', args)} did not finish in 120 s");
        }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }
}
