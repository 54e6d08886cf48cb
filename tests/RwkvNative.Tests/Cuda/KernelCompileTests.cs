using System.Diagnostics;
using RwkvNative.Cuda.Kernels;

namespace RwkvNative.Tests.Cuda;

/// <summary>
/// Compile check of every kernel without a GPU: clang-14 device-only compilation to PTX for sm_80, with
/// kernels/ci/clang_prelude.h standing in for what NVRTC provides and the model constants NVRTC receives (the same
/// command as kernels/ci/check.sh).
/// </summary>
public sealed class KernelCompileTests
{
    public static TheoryData<string> KernelFiles() => new(KernelSources.KernelFiles);

    private static string? FindClang()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            if (dir.Length == 0) continue;
            var p = Path.Combine(dir, "clang-14");
            if (File.Exists(p)) return p;
        }
        return null;
    }

    [Theory]
    [MemberData(nameof(KernelFiles))]
    public async Task Kernel_compiles_for_sm80_with_clang(string file)
    {
        var clang = FindClang();
        if (clang == null) Assert.Skip("clang-14 is not on PATH (install clang-14 to compile-check the kernels without CUDA)");
        var dir = KernelSourceTests.KernelDirectory;
        var psi = new ProcessStartInfo(clang)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        string[] args = ["-x", "cuda", "--cuda-device-only", "-nocudainc", "-nocudalib", "--cuda-gpu-arch=sm_80",
            "-Wall", "-Werror", .. KernelSources.ModelDefines(KernelSources.CompilerOptions), "-include", Path.Combine(dir, "ci", "clang_prelude.h"), "-S", Path.Combine(dir, file), "-o", "-"];
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = await p.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await p.WaitForExitAsync(TestContext.Current.CancellationToken);
        var ptx = await stdout;
        Assert.True(p.ExitCode == 0, $"clang-14 failed on {file}:\n{stderr}");
        // Every extern "C" kernel of the file appears as a PTX entry point.
        var kernels = KernelSourceTests.DefinedKernels(await File.ReadAllTextAsync(Path.Combine(dir, file), TestContext.Current.CancellationToken)).ToList();
        Assert.NotEmpty(kernels);
        foreach (var name in kernels) Assert.Contains($".entry {name}(", ptx);
    }
}
