using RwkvNative.Cuda.Interop;

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
        Assert.Equal(["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"], NativeLibraryLoader.Nvrtc(13000).Candidates.Take(3));
        Assert.Equal(["libnvrtc.so.12", "libnvrtc.so.13", "libnvrtc.so"], NativeLibraryLoader.Nvrtc(12080).Candidates.Take(3));
        Assert.Equal(["libcublas.so.12", "libcublas.so.13", "libcublas.so"], NativeLibraryLoader.Cublas(12040).Candidates.Take(3));
        Assert.Contains("/usr/local/cuda/lib64/libcublas.so.13", NativeLibraryLoader.Cublas(0).Candidates);
        Assert.Equal("libcuda.so.1", NativeLibraryLoader.Driver.Candidates[0]);
    }
}
