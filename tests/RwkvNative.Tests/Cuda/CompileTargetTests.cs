using RwkvNative.Cuda.Kernels;

namespace RwkvNative.Tests.Cuda;

public sealed class CompileTargetTests
{
    private static readonly int[] Nvrtc12 = [50, 52, 53, 60, 61, 62, 70, 72, 75, 80, 86, 87, 89, 90];

    [Theory]
    [InlineData(90, null, "sm_90")]       // H100: its own cubin
    [InlineData(86, null, "sm_86")]
    [InlineData(88, null, "sm_87")]       // unknown minor: newest cubin of the same major runs on it
    [InlineData(100, null, "compute_90")] // newer than this NVRTC: PTX the driver compiles forward
    [InlineData(90, 80, "compute_80")]    // RWKV_CUDA_ARCH=80 on sm_90: other major, so PTX
    [InlineData(86, 80, "sm_80")]         // RWKV_CUDA_ARCH=80 on sm_86: same major, cubin
    public void Picks_cubin_of_same_major_else_ptx(int device, int? requested, string expected)
    {
        Assert.Equal(expected, CompileTarget.Choose(device, Nvrtc12, requested).GpuArch);
    }

    [Fact]
    public void Refuses_targets_it_cannot_serve()
    {
        Assert.Throws<ArgumentException>(() => CompileTarget.Choose(80, Nvrtc12, 90));
        var e = Assert.Throws<NotSupportedException>(() => CompileTarget.Choose(35, Nvrtc12));
        Assert.Contains("3.5", e.Message);
    }
}
