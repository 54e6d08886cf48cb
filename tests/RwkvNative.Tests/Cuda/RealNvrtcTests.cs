using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using RwkvNative.Cuda.Kernels;

namespace RwkvNative.Tests.Cuda;

/// <summary>
/// Every kernels/*.cu through NVIDIA's real compiler without a GPU: NVRTC (the one in RWKV_CHECK_NVRTC; CI uses Debian
/// 12's 11.8, see scripts/ci/nvrtc-toolchain.sh) with the backend's own options (<see cref="KernelCompiler.For"/>, no line
/// info) to PTX for compute_80 and compute_90, then <c>ptxas -v</c> (RWKV_CHECK_PTXAS) for sm_80 / sm_90. Fails on a
/// compile or assembly error, any local-memory use (spills, lmem, stack frame), or a kernel using more registers than
/// a block of its launcher's size can have (<see cref="KernelName.RegisterBudget"/>). Each case appends its rows of the
/// register / shared-memory table to RWKV_CHECK_REPORT (a folder) when set. Skipped when the tools are not given.
/// </summary>
public sealed partial class RealNvrtcTests(ITestOutputHelper output)
{
    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var file in KernelSources.KernelFiles)
            foreach (var arch in new[] { 80, 90 })
                data.Add(file, arch);
        return data;
    }

    private static readonly Lazy<RealNvrtc> Compiler = new(() => new RealNvrtc(Environment.GetEnvironmentVariable("RWKV_CHECK_NVRTC")!));

    /// <summary>One entry's resources as ptxas reports them.</summary>
    internal sealed record EntryResources(string Name, int Registers, int SharedBytes, int StackBytes, int SpillStores, int SpillLoads, int LocalBytes);

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Kernel_compiles_with_real_nvrtc_and_ptxas_without_spills_within_its_register_budget(string file, int arch)
    {
        var nvrtcPath = Environment.GetEnvironmentVariable("RWKV_CHECK_NVRTC");
        var ptxasPath = Environment.GetEnvironmentVariable("RWKV_CHECK_PTXAS");
        if (string.IsNullOrEmpty(nvrtcPath) || string.IsNullOrEmpty(ptxasPath))
            Assert.Skip("RWKV_CHECK_NVRTC / RWKV_CHECK_PTXAS are not set (scripts/ci/nvrtc-toolchain.sh fetches NVRTC and ptxas 11.8; ./build.sh nvrtc-check runs this check)");
        Assert.True(File.Exists(ptxasPath), $"RWKV_CHECK_PTXAS={ptxasPath} does not exist");

        var options = KernelCompiler.For(string.Create(CultureInfo.InvariantCulture, $"compute_{arch}"), lineInfo: false);
        (string, string)[] headers = [(KernelSources.CommonHeader, KernelSources.Read(KernelSources.CommonHeader))];
        var ptx = Compiler.Value.CompileToPtx(file, KernelSources.Read(file), headers, options);
        var defined = KernelSourceTests.DefinedKernels(KernelSources.Read(file)).ToList();
        foreach (var name in defined) Assert.Contains($".entry {name}(", ptx);

        var ptxFile = Path.Combine(Path.GetTempPath(), $"rwkvnative-{Environment.ProcessId}-{arch}-{file}.ptx");
        await File.WriteAllTextAsync(ptxFile, ptx, TestContext.Current.CancellationToken);
        string report;
        try
        {
            var psi = new ProcessStartInfo(ptxasPath) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var a in new[] { "-v", "--gpu-name", $"sm_{arch}", "-o", OperatingSystem.IsWindows() ? "NUL" : "/dev/null", ptxFile })
                psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            var stderr = await p.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            await p.WaitForExitAsync(TestContext.Current.CancellationToken);
            report = await stdout + stderr;
            Assert.True(p.ExitCode == 0, $"ptxas -v --gpu-name sm_{arch} failed on {file} (exit {p.ExitCode}):\n{report}");
        }
        finally
        {
            File.Delete(ptxFile);
        }

        var entries = ParsePtxasReport(report);
        var budgets = KernelSourceTests.LauncherKernelNames().Where(k => k.File == file).ToDictionary(k => k.Function, k => k);
        var problems = new List<string>();
        var rows = new List<string>();
        foreach (var name in defined)
        {
            var e = entries.GetValueOrDefault(name);
            if (e == null) { problems.Add($"{name}: ptxas reported nothing for it"); continue; }
            if (!budgets.TryGetValue(name, out var kernel)) { problems.Add($"{name}: no launcher declares its block size"); continue; }
            if (e.Registers > kernel.RegisterBudget)
                problems.Add($"{name}: {e.Registers} registers, over the budget of {kernel.RegisterBudget} for blocks of {kernel.MaxThreads} threads");
            if (e.SpillStores > 0 || e.SpillLoads > 0) problems.Add($"{name}: spills ({e.SpillStores} bytes stores, {e.SpillLoads} bytes loads)");
            if (e.LocalBytes > 0 || e.StackBytes > 0) problems.Add($"{name}: uses local memory ({e.LocalBytes} bytes lmem, {e.StackBytes} bytes stack frame)");
            rows.Add(string.Create(CultureInfo.InvariantCulture,
                $"sm_{arch}  {file,-15} {name,-26} {e.Registers,4} / {kernel.RegisterBudget,3} regs ({kernel.MaxThreads,3} threads)  {e.SharedBytes,6} B smem  {e.SpillStores + e.SpillLoads,3} B spill  {e.StackBytes,3} B stack"));
        }
        foreach (var r in rows) output.WriteLine(r);
        var reportDir = Environment.GetEnvironmentVariable("RWKV_CHECK_REPORT");
        if (!string.IsNullOrEmpty(reportDir))
        {
            Directory.CreateDirectory(reportDir);
            await File.WriteAllLinesAsync(Path.Combine(reportDir, $"sm_{arch}-{file}.txt"), rows, TestContext.Current.CancellationToken);
        }
        Assert.True(problems.Count == 0, $"{file} for sm_{arch} (NVRTC {Compiler.Value.Version}):\n{string.Join('\n', problems)}\nptxas said:\n{report}");
    }

    /// <summary>Reads <c>ptxas -v</c>'s per-entry lines (entry name, registers, smem, lmem, stack frame, spills).</summary>
    internal static Dictionary<string, EntryResources> ParsePtxasReport(string report)
    {
        var result = new Dictionary<string, EntryResources>(StringComparer.Ordinal);
        string? current = null;
        int stack = 0, stores = 0, loads = 0;
        foreach (var line in report.Split('\n'))
        {
            var entry = EntryLine().Match(line);
            if (entry.Success) { current = entry.Groups[1].Value; stack = stores = loads = 0; continue; }
            if (current == null) continue;
            var frame = FrameLine().Match(line);
            if (frame.Success)
            {
                stack = int.Parse(frame.Groups[1].Value, CultureInfo.InvariantCulture);
                stores = int.Parse(frame.Groups[2].Value, CultureInfo.InvariantCulture);
                loads = int.Parse(frame.Groups[3].Value, CultureInfo.InvariantCulture);
                continue;
            }
            var used = UsedLine().Match(line);
            if (used.Success)
            {
                int Bytes(Regex r) => r.Match(line) is { Success: true } m ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
                result[current] = new EntryResources(current, int.Parse(used.Groups[1].Value, CultureInfo.InvariantCulture),
                    Bytes(SmemPart()), stack, stores, loads, Bytes(LmemPart()));
                current = null;
            }
        }
        return result;
    }

    [Fact]
    public void Ptxas_reports_are_read_entry_by_entry()
    {
        const string report = """
            ptxas info    : 0 bytes gmem
            ptxas info    : Compiling entry function 'wkv7_forward' for 'sm_90'
            ptxas info    : Function properties for wkv7_forward
                8 bytes stack frame, 4 bytes spill stores, 4 bytes spill loads
            ptxas info    : Used 96 registers, 512 bytes smem, 416 bytes cmem[0]
            ptxas info    : Compiling entry function 'layernorm' for 'sm_90'
            ptxas info    : Function properties for layernorm
                0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
            ptxas info    : Used 18 registers, 16 bytes lmem, 380 bytes cmem[0]
            """;
        var e = ParsePtxasReport(report);
        Assert.Equal(new EntryResources("wkv7_forward", 96, 512, 8, 4, 4, 0), e["wkv7_forward"]);
        Assert.Equal(new EntryResources("layernorm", 18, 0, 0, 0, 0, 16), e["layernorm"]);
        Assert.Equal(128, new KernelName("a.cu", "a", 512).RegisterBudget);
        Assert.Equal(255, new KernelName("a.cu", "a", 256).RegisterBudget); // 256 by the register file, 255 by the ISA
        Assert.Equal(64, new KernelName("a.cu", "a", 1024).RegisterBudget);
    }

    [GeneratedRegex(@"Compiling entry function '(\w+)'")]
    private static partial Regex EntryLine();

    [GeneratedRegex(@"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads")]
    private static partial Regex FrameLine();

    [GeneratedRegex(@"Used (\d+) registers")]
    private static partial Regex UsedLine();

    [GeneratedRegex(@"(\d+) bytes smem")]
    private static partial Regex SmemPart();

    [GeneratedRegex(@"(\d+) bytes lmem")]
    private static partial Regex LmemPart();
}
