using System.Diagnostics;

namespace RwkvNative.Tests.Cli;

/// <summary>
/// <c>./build.sh demo|run|bench</c>, driven with a stand-in <c>dotnet</c> first on PATH (no real build): a failing build
/// prints its errors, and the CLI runs in the caller's working directory.
/// </summary>
public sealed class BuildScriptTests
{
    private static string Script => Path.Combine(Fixtures.RepositoryRoot, "build.sh");

    /// <summary>Runs build.sh with a fake dotnet that fails its build when <paramref name="buildFails"/>, else echoes where it ran.</summary>
    private static CliRunner.Result Run(string workingDirectory, bool buildFails, params string[] args)
    {
        if (!OperatingSystem.IsLinux()) { Assert.Skip("build.sh is the Linux entry point"); return null!; }
        using var bin = new TempDir();
        var fake = bin.File("dotnet");
        File.WriteAllText(fake, """
            #!/bin/sh
            if [ "$1" = build ]; then
              if [ -n "$FAKE_BUILD_FAILS" ]; then
                echo "/src/Foo.cs(3,7): error CS1002: ; expected [/src/Foo.csproj]"
                echo "/src/Foo.cs(3,7): error CS1002: ; expected [/src/Foo.csproj]"
                echo "Build FAILED."
                exit 1
              fi
              exit 0
            fi
            echo "cwd=$(pwd)"
            echo "args=$*"
            """);
        File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite);
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory };
        psi.ArgumentList.Add(Path.GetFullPath(Script));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["PATH"] = bin.Path + ":" + Environment.GetEnvironmentVariable("PATH");
        if (buildFails) psi.Environment["FAKE_BUILD_FAILS"] = "1";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000)) { p.Kill(true); throw new TimeoutException("build.sh did not finish"); }
        return new CliRunner.Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    [Theory]
    [InlineData("demo")]
    [InlineData("run")]
    [InlineData("bench")]
    public void A_failing_build_prints_its_errors_and_exits_non_zero(string command)
    {
        var r = Run(Path.GetTempPath(), buildFails: true, command, "--help");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("error: building the rwkv-emb CLI failed", r.Stderr);
        Assert.Single(r.Stderr.Split('\n'), l => l.Contains("error CS1002", StringComparison.Ordinal));
        Assert.Empty(r.Stdout);
    }

    [Fact]
    public void Run_keeps_the_callers_working_directory_so_relative_paths_work()
    {
        var here = Fixtures.Directory;
        var r = Run(here, buildFails: false, "run", "info", "--model", "tiny-bf16.emb.pth");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains($"cwd={Path.GetFullPath(here).TrimEnd('/')}", r.Stdout);
        Assert.Contains("rwkv-emb.dll info --model tiny-bf16.emb.pth", r.Stdout);

        var bench = Run(here, buildFails: false, "bench", "--model", "tiny-bf16.emb.pth");
        Assert.Contains($"cwd={Path.GetFullPath(here).TrimEnd('/')}", bench.Stdout);
        Assert.Contains("rwkv-emb.dll bench --model tiny-bf16.emb.pth", bench.Stdout);
    }
}
