using System.Diagnostics;
using RwkvNative.Checkpoints;
using RwkvNative.Cli;
using RwkvNative.Tests.Checkpoints;

namespace RwkvNative.Tests.Cli;

/// <summary>
/// Every CLI error path answers one <c>error: </c> line in words: no exception type name, no " (Parameter 'x')",
/// exit 2 for bad usage, input or files.
/// </summary>
public sealed class CliErrorMessageTests
{
    private static string Model => Fixtures.PathOf("tiny-bf16.emb.pth");
    private static string Rr => Fixtures.PathOf("tiny-bf16.reranker.pth");

    private static void AssertOneHumanLine(CliRunner.Result r, int exitCode, string expected)
    {
        Assert.True(r.ExitCode == exitCode, $"exit {r.ExitCode}, stderr: {r.Stderr}");
        var error = Assert.Single(r.Stderr.Split('\n'), l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.Contains(expected, error);
        Assert.DoesNotContain("Exception", r.Stderr);
        Assert.DoesNotContain("(Parameter", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void A_folder_given_as_a_checkpoint_is_named_as_a_folder_with_the_checkpoints_inside()
    {
        var dir = Fixtures.Directory;
        AssertOneHumanLine(CliRunner.Run("", "info", "--model", dir), 2, "is a folder, not a checkpoint file");
        AssertOneHumanLine(CliRunner.Run("", "info", "--model", dir), 2, "tiny-bf16.emb.pth");
        AssertOneHumanLine(CliRunner.Run("{\"text\":\"x\"}\n", "embed", "--model", dir, "--device", "cpu"), 2, "is a folder");
        AssertOneHumanLine(CliRunner.Run("", "rerank", "--model", Model, "--reranker", dir, "--query", "q", "--device", "cpu"), 2, $"reranker {dir} is a folder");
        // The library says the same to its own callers.
        var e = Assert.ThrowsAny<CheckpointException>(() => Checkpoint.Open(dir));
        Assert.Contains("is a folder", e.Message);
    }

    [Fact]
    public void A_file_this_user_may_not_read_is_permission_denied_in_words()
    {
        if (!OperatingSystem.IsLinux()) { Assert.Skip("file modes and setpriv: a Linux test"); return; }
        using var dir = new TempDir();
        var path = dir.File("locked.pth");
        File.Copy(Model, path);
        File.SetUnixFileMode(path, UnixFileMode.None);
        File.SetUnixFileMode(dir.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
            UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        CliRunner.Result r;
        if (!IsRoot())
            r = CliRunner.Run("", "info", "--model", path);
        else
        {
            // root reads any file: run the binary as 'nobody' instead.
            if (!File.Exists("/usr/bin/setpriv")) Assert.Skip("running as root without setpriv: cannot make a file unreadable");
            r = RunAsNobody("info", "--model", path);
        }
        AssertOneHumanLine(r, 2, "permission denied");
        Assert.Contains(path, r.Stderr);
    }

    private static bool IsRoot() => File.ReadAllText("/proc/self/status").Split('\n').First(l => l.StartsWith("Uid:", StringComparison.Ordinal))
        .Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] == "0";

    private static CliRunner.Result RunAsNobody(params string[] args)
    {
        var psi = new ProcessStartInfo("/usr/bin/setpriv")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        foreach (var a in new[] { "--reuid=65534", "--regid=65534", "--clear-groups", Environment.ProcessPath is { } p && p.EndsWith("dotnet", StringComparison.Ordinal) ? p : "dotnet", CliRunner.Dll })
            psi.ArgumentList.Add(a);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["HOME"] = "/tmp";
        psi.Environment["DOTNET_CLI_HOME"] = "/tmp";
        using var proc = Process.Start(psi)!;
        var stdout = proc.StandardOutput.ReadToEndAsync();
        var stderr = proc.StandardError.ReadToEndAsync();
        if (!proc.WaitForExit(120_000)) { proc.Kill(true); throw new TimeoutException("rwkv-emb as nobody did not finish"); }
        return new CliRunner.Result(proc.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void Every_usage_and_file_error_is_one_line_in_words()
    {
        using var dir = new TempDir();
        var file = dir.File("plain.txt");
        File.WriteAllText(file, "not a checkpoint");
        (string[] Args, string Expected)[] cases =
        [
            (["rerank", "--model", Model, "--reranker", Rr, "--query", "q", "--mode", "sideways"], "not recognized"),
            (["bogus"], "bogus"),
            (["embed", "--model", Model, "--batch-size", "0"], "--batch-size"),
            (["embed", "--model", Model, "--task", "nope"], "--task"),
            (["embed", "--model", Model, "--device", "tpu"], "unknown device"),
            (["--threads", "0", "tokenize"], "--threads"),
            (["index", "--model", Model, "--reranker", Rr, "--out", file], "is a file"),
            (["rerank", "--model", Model, "--reranker", Rr, "--query", "q", "--store", file], "is a file"),
            (["rerank", "--model", Model, "--reranker", Rr, "--query", "q", "--store", dir.File("none")], "none"),
            (["info", "--model", file], "plain.txt"),
            (["info", "--model", "/dev/null"], "empty"),
            (["rerank", "--model", Rr, "--reranker", Model, "--query", "q", "--device", "cpu"], "this is a reranker checkpoint"),
            (["info", "--model", Model, "--reranker", Model], "it is an embedding model checkpoint"),
            (["verify", "--fixtures", dir.File("none")], "none"),
            (["serve", "--model", Model, "--port", "70000"], "--port"),
        ];
        foreach (var (args, expected) in cases)
        {
            var r = CliRunner.Run("", args);
            Assert.True(r.ExitCode == 2, $"{string.Join(' ', args)}: exit {r.ExitCode}, {r.Stderr}");
            AssertOneHumanLine(r, 2, expected);
        }
    }

    [Fact]
    public void Messages_never_carry_exception_type_names_or_parameter_suffixes()
    {
        var (code, message) = Errors.Describe(new ArgumentException("text holds a lone surrogate", "text"));
        Assert.Equal(2, code);
        Assert.Equal("text holds a lone surrogate", message);
        (code, message) = Errors.Describe(new ArgumentOutOfRangeException("count", 5, "count must be below 4"));
        Assert.DoesNotContain("(Parameter", message);
        (code, message) = Errors.Describe(new UnauthorizedAccessException("Access to the path '/x' is denied."));
        Assert.Equal(2, code);
        Assert.StartsWith("permission denied: ", message);
        (code, message) = Errors.Describe(new InvalidOperationException("the queue\nbroke"));
        Assert.Equal(1, code);
        Assert.DoesNotContain("InvalidOperationException", message);
        Assert.DoesNotContain("\n", message);
        Assert.Contains(Errors.TraceVariable, message);
        (code, message) = Errors.Describe(new IOException("No space left on device"));
        Assert.Equal(1, code);
        Assert.Contains("No space left on device", message);
    }
}
