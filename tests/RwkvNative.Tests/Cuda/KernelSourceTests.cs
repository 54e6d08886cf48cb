using System.Reflection;
using System.Text.RegularExpressions;
using RwkvNative.Cuda.Kernels;

namespace RwkvNative.Tests.Cuda;

public sealed partial class KernelSourceTests
{
    internal static string KernelDirectory => Path.Combine(Fixtures.RepositoryRoot, "kernels");

    [Fact]
    public void Every_kernel_file_in_the_tree_is_embedded_unchanged()
    {
        var onDisk = Directory.GetFiles(KernelDirectory, "*.cu").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToArray();
        Assert.NotEmpty(onDisk);
        Assert.Equal(onDisk, KernelSources.KernelFiles);
        foreach (var f in onDisk.Append(KernelSources.CommonHeader))
            Assert.Equal(File.ReadAllText(Path.Combine(KernelDirectory, f)), KernelSources.Read(f));
    }

    [Fact]
    public void Every_kernel_a_launcher_asks_for_is_an_extern_c_global_in_its_file()
    {
        var names = LauncherKernelNames();
        Assert.True(names.Count >= 15, $"found only {names.Count} kernel names on launchers");
        foreach (var k in names)
        {
            var source = KernelSources.Read(k.File);
            Assert.Contains(k.Function, DefinedKernels(source));
        }
    }

    [Fact]
    public void Every_extern_c_kernel_is_used_by_a_launcher()
    {
        var used = LauncherKernelNames().Select(k => (k.File, k.Function)).ToHashSet();
        foreach (var file in KernelSources.KernelFiles)
        {
            var source = KernelSources.Read(file);
            foreach (var name in DefinedKernels(source))
                Assert.Contains((file, name), used);
        }
    }

    [Fact]
    public void The_tools_compile_kernels_with_the_model_constants_NVRTC_gets()
    {
        var path = Path.Combine(KernelDirectory, KernelSources.OptionsFile);
        var lines = KernelSources.ModelDefines(KernelSources.ParseOptions(File.ReadAllText(path)));
        Assert.True(KernelDefines.Options.SequenceEqual(lines),
            $"the -D lines of {path} must be exactly KernelDefines.Options (from ModelSchema), one per line:\n{string.Join("\n", KernelDefines.Options)}");
    }

    [Fact]
    public void Kernels_take_model_constants_from_defines_not_literals()
    {
        foreach (var file in KernelSources.KernelFiles.Append(KernelSources.CommonHeader))
        {
            var source = KernelSources.Read(file);
            Assert.DoesNotContain("0.6065306597", source);
            Assert.DoesNotContain("#define RWKV_HEAD_SIZE", source);
        }
    }

    [Fact]
    public void Kernels_include_no_toolkit_headers()
    {
        foreach (var file in KernelSources.KernelFiles.Append(KernelSources.CommonHeader))
            foreach (Match m in Include().Matches(KernelSources.Read(file)))
                Assert.Equal("common.cuh", m.Groups["file"].Value);
    }

    internal static List<KernelName> LauncherKernelNames() =>
        typeof(KernelName).Assembly.GetTypes()
            .Where(t => t.Name.EndsWith("Launcher", StringComparison.Ordinal))
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static))
            .Where(f => f.FieldType == typeof(KernelName))
            .Select(f => (KernelName)f.GetValue(null)!)
            .ToList();

    [GeneratedRegex(@"extern\s+""C""\s+__global__\s+(?:void\s+)?(?:__launch_bounds__\([^)]*\)\s+)?(?:void\s+)?(?<name>\w+)\s*\(")]
    private static partial Regex KernelDefinition();

    /// <summary>Names of the <c>extern "C" __global__</c> kernels defined in <paramref name="source"/>.</summary>
    internal static IEnumerable<string> DefinedKernels(string source) =>
        KernelDefinition().Matches(source).Select(m => m.Groups["name"].Value);

    [GeneratedRegex(@"#include\s+[""<](?<file>[^"">]+)["">]")]
    private static partial Regex Include();
}
