using System.Runtime.InteropServices;
using RwkvNative.Cuda.Interop;
using RwkvNative.Tests.Checkpoints;

namespace RwkvNative.Tests.Cuda;

public sealed class NativeLibraryLoaderTests
{
    private static NativeLibrarySpec Missing() => new("test-logical", "test library (libmissing)", "RWKV_TEST_LIB",
        ["libdefinitely-missing-one.so.7", "/nonexistent/dir/libdefinitely-missing-two.so"], "install the test library");

    [Fact]
    public void Failure_lists_every_name_tried_with_a_reason_and_the_fix()
    {
        Assert.False(NativeLibraryLoader.TryLoad(Missing(), null, out var handle, out var report));
        Assert.Equal(0, handle);
        Assert.Contains("test library (libmissing)", report);
        Assert.Contains("tried 2 names", report);
        Assert.Contains("RWKV_TEST_LIB is not set", report);
        var lines = report.Split('\n');
        var one = Assert.Single(lines, l => l.Contains("libdefinitely-missing-one.so.7:"));
        var two = Assert.Single(lines, l => l.Contains("/nonexistent/dir/libdefinitely-missing-two.so:"));
        // Each attempt carries the loader's own reason after the name.
        Assert.True(one.Trim().Length > "libdefinitely-missing-one.so.7:".Length + 3, one);
        Assert.True(two.Trim().Length > "/nonexistent/dir/libdefinitely-missing-two.so:".Length + 3, two);
        Assert.Contains("To fix: install the test library.", report);
        if (OperatingSystem.IsLinux()) Assert.Contains("libdefinitely-missing-one.so.7: cannot open shared object file", report);
    }

    [Fact]
    public void Reason_keeps_the_loaders_words_without_the_generic_advice()
    {
        const string message = "Unable to load shared library 'libcuda.so.1' or one of its dependencies. In order to help diagnose " +
            "loading problems, consider using a tool like strace. If you're using glibc, consider setting the LD_DEBUG environment variable: \n" +
            "libcuda.so.1: cannot open shared object file: No such file or directory\n";
        Assert.Equal("cannot open shared object file: No such file or directory", NativeLibraryLoader.Reason("libcuda.so.1", message));
        Assert.Equal("The specified module could not be found.", NativeLibraryLoader.Reason("nvcuda.dll", "The specified module could not be found."));
    }

    [Fact]
    public void Environment_override_is_the_only_candidate_when_set()
    {
        Assert.False(NativeLibraryLoader.TryLoad(Missing(), "/opt/custom/libmine.so", out _, out var report));
        Assert.Contains("tried only RWKV_TEST_LIB=/opt/custom/libmine.so", report);
        Assert.Contains("/opt/custom/libmine.so:", report);
        Assert.DoesNotContain("libdefinitely-missing-one", report);
    }

    [Fact]
    public void A_loadable_library_is_found_past_missing_ones()
    {
        // The C library is on every Linux host; Windows has kernel32.
        string real = OperatingSystem.IsWindows() ? "kernel32.dll" : "libc.so.6";
        var spec = new NativeLibrarySpec("test-logical-2", "test", "RWKV_TEST_LIB2", ["libdefinitely-missing-three.so", real], "n/a");
        Assert.True(NativeLibraryLoader.TryLoad(spec, null, out var handle, out var report), report);
        Assert.NotEqual(0, handle);
    }

    [Fact]
    public void Cuda_13_names_come_first_unless_the_driver_is_older()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Equal("nvrtc64_130_0.dll", NativeLibraryLoader.Nvrtc(13000).Candidates[0]);
            Assert.Equal("nvrtc64_120_0.dll", NativeLibraryLoader.Nvrtc(12080).Candidates[0]);
            Assert.Equal("cublas64_12.dll", NativeLibraryLoader.Cublas(12040).Candidates[0]);
            return;
        }
        Assert.Equal(["libnvrtc.so.13", "libnvrtc.so.12"], NativeLibraryLoader.Nvrtc(13000).Candidates.Take(2));
        Assert.Equal(["libnvrtc.so.12", "libnvrtc.so.13"], NativeLibraryLoader.Nvrtc(12080).Candidates.Take(2));
        Assert.Equal(["libcublas.so.12", "libcublas.so.13"], NativeLibraryLoader.Cublas(12040).Candidates.Take(2));
        Assert.Contains("/usr/local/cuda/lib64/libcublas.so.13", NativeLibraryLoader.Cublas(0).Candidates);
        Assert.Equal("libcuda.so.1", NativeLibraryLoader.Driver.Candidates[0]);
    }

    [Fact]
    public void Unversioned_names_are_never_tried()
    {
        // libnvrtc.so / libcublas.so are development symlinks, on Debian/Ubuntu often to 11.x.
        foreach (var spec in new[] { NativeLibraryLoader.Nvrtc(12080), NativeLibraryLoader.Nvrtc(13000), NativeLibraryLoader.Cublas(0) })
            foreach (var name in spec.Candidates)
                Assert.False(name.EndsWith(".so", StringComparison.Ordinal), $"{spec.Description} tries the unversioned name {name}");
    }

    [Fact]
    public void Nvrtc_older_than_12_is_refused_naming_the_file_and_what_to_install()
    {
        var e = Assert.Throws<CudaLibraryNotFoundException>(() => NvrtcLibrary.RequireSupported(11, 8, "/usr/lib/x86_64-linux-gnu/libnvrtc.so.11.2"));
        Assert.Contains("/usr/lib/x86_64-linux-gnu/libnvrtc.so.11.2", e.Message);
        Assert.Contains("version 11.8", e.Message);
        Assert.Contains("NVRTC 12 or newer", e.Message);
        Assert.Contains("cuda-nvrtc-12-x", e.Message);
        Assert.Contains("RWKV_NVRTC", e.Message);
        NvrtcLibrary.RequireSupported(12, 0, "libnvrtc.so.12");
        NvrtcLibrary.RequireSupported(13, 1, "libnvrtc.so.13");
    }

    [Fact]
    public void Builtins_are_found_next_to_an_nvrtc_loaded_by_path()
    {
        if (OperatingSystem.IsWindows()) return; // the Windows names are covered by the same code path; files below are Linux names
        using var dir = new TempDir();
        var nvrtc = dir.File("libnvrtc.so.12");
        File.WriteAllText(nvrtc, "");
        Assert.Null(NvrtcLibrary.FindBuiltins(nvrtc, 12, 8));
        File.WriteAllText(dir.File("libnvrtc-builtins.so.13.0"), "");
        Assert.Null(NvrtcLibrary.FindBuiltins(nvrtc, 12, 8)); // another major version is never taken
        File.WriteAllText(dir.File("libnvrtc-builtins.so.12.4"), "");
        File.WriteAllText(dir.File("libnvrtc-builtins.so.12.6"), "");
        Assert.Equal(dir.File("libnvrtc-builtins.so.12.6"), NvrtcLibrary.FindBuiltins(nvrtc, 12, 8)); // same major, newest
        File.WriteAllText(dir.File("libnvrtc-builtins.so.12.8"), "");
        Assert.Equal(dir.File("libnvrtc-builtins.so.12.8"), NvrtcLibrary.FindBuiltins(nvrtc, 12, 8)); // exact version first
        Assert.Null(NvrtcLibrary.FindBuiltins("libnvrtc.so.12", 12, 8)); // a bare name: left to NVRTC's own search
    }

    [Fact]
    public void A_builtins_file_that_cannot_be_loaded_is_reported_with_the_fix()
    {
        if (OperatingSystem.IsWindows()) return;
        using var dir = new TempDir();
        var nvrtc = dir.File("libnvrtc.so.12");
        File.WriteAllText(nvrtc, "");
        File.WriteAllText(dir.File("libnvrtc-builtins.so.12.8"), "not an ELF file");
        var e = Assert.Throws<CudaLibraryNotFoundException>(() => NvrtcLibrary.PreloadBuiltins(nvrtc, 12, 8));
        Assert.Contains(dir.File("libnvrtc-builtins.so.12.8"), e.Message);
        Assert.Contains("reinstall", e.Message);
    }

    [Fact]
    public void The_file_of_a_loaded_library_is_found_from_one_of_its_exports()
    {
        if (!OperatingSystem.IsLinux()) return;
        var libc = NativeLibrary.Load("libc.so.6");
        var path = LibraryFile.Containing(libc, "malloc");
        Assert.NotNull(path);
        Assert.True(Path.IsPathRooted(path), path);
        Assert.Contains("libc", Path.GetFileName(path));
        Assert.Null(LibraryFile.Containing(libc, "no_such_export_rwkvnative"));
    }

    [Fact]
    public void The_loaded_libraries_line_names_every_file_and_version()
    {
        var line = new LoadedLibraries("/usr/lib/x86_64-linux-gnu/libcuda.so.1", 12080, "/usr/local/cuda/lib64/libnvrtc.so.12", "12.8",
            "/usr/local/cuda/lib64/libnvrtc-builtins.so.12.8", "/usr/local/cuda/lib64/libcublas.so.12", "12.8.4").ToString();
        Assert.Equal("rwkvnative: CUDA driver 12.8 (/usr/lib/x86_64-linux-gnu/libcuda.so.1), NVRTC 12.8 (/usr/local/cuda/lib64/libnvrtc.so.12; " +
            "builtins: /usr/local/cuda/lib64/libnvrtc-builtins.so.12.8), cuBLAS 12.8.4 (/usr/local/cuda/lib64/libcublas.so.12)", line);
    }
}
