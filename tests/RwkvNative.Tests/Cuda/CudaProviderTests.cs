using RwkvNative.Backends;
using RwkvNative.Cuda.Memory;
using RwkvNative.Cuda;
using System.Runtime.InteropServices;

namespace RwkvNative.Tests.Cuda;

public sealed class CudaProviderTests
{
    private static bool DriverLoadable()
    {
        foreach (var name in new[] { "libcuda.so.1", "nvcuda.dll" })
        {
            if (NativeLibrary.TryLoad(name, out var h))
            {
                NativeLibrary.Free(h);
                return true;
            }
        }
        return false;
    }

    [Fact]
    public void Provider_without_driver_reports_unavailable_with_the_library_names()
    {
        if (DriverLoadable()) Assert.Skip("this host has a CUDA driver, so the no-driver answer cannot be observed");
        var provider = new CudaBackendProvider();
        Assert.False(provider.IsAvailable(0, out var reason));
        Assert.Contains("CUDA driver", reason);
        Assert.Contains(OperatingSystem.IsWindows() ? "nvcuda.dll" : "libcuda.so.1", reason);
        Assert.Contains("RWKV_CUDA_DRIVER", reason);
        // Asking again gives the same answer (the failed load is remembered, not retried into a different state).
        Assert.False(provider.IsAvailable(0, out var again));
        Assert.Equal(reason, again);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(int.MaxValue)]
    public void Is_available_never_throws_for_any_index(int index)
    {
        var provider = new CudaBackendProvider();
        Assert.False(provider.IsAvailable(index, out var reason));
        Assert.False(string.IsNullOrWhiteSpace(reason));
    }

    [Fact]
    public void Provider_kind_is_cuda_and_register_makes_it_findable()
    {
        var before = BackendRegistry.Find("cuda");
        using (BackendRegistry.Register(new CudaBackendProvider()))
            Check();
        // The registration is undone: the process-wide registry is as this test found it.
        Assert.Same(before, BackendRegistry.Find("cuda"));
    }

    private static void Check()
    {
        var found = BackendRegistry.Find("cuda");
        Assert.IsType<CudaBackendProvider>(found);
        Assert.Equal("cuda", found!.Kind);
        // On a host without CUDA, auto still resolves to the CPU and says why.
        if (!found.IsAvailable(0, out _))
        {
            var spec = BackendRegistry.Resolve("auto", out var note);
            Assert.Equal(DeviceSpec.Cpu, spec);
            Assert.Contains("CUDA not usable", note);
        }
    }

    [Fact]
    public void Options_reject_nonsense_before_touching_the_device()
    {
        Assert.Throws<ArgumentNullException>(() => new CudaBackendProvider(null!));
        var o = new CudaBackendOptions();
        Assert.Equal(CudaWeightPrecision.AsStored, o.Weights);
        Assert.Null(o.MaxTokensPerPass); // sized from free memory (PassSizing) unless fixed
    }
}
