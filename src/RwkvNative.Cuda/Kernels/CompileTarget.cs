using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using RwkvNative.Cuda.Interop;

namespace RwkvNative.Cuda.Kernels;

/// <summary>What NVRTC is asked to produce: a cubin for <c>sm_XY</c>, or PTX for <c>compute_XY</c> that the driver JITs.</summary>
/// <param name="Arch">Compute capability as major*10+minor (e.g. 90).</param>
/// <param name="Ptx">True for PTX, false for a cubin.</param>
internal sealed record CompileTarget(int Arch, bool Ptx)
{
    /// <summary>The NVRTC option value, e.g. <c>sm_90</c> or <c>compute_90</c>.</summary>
    public string GpuArch => (Ptx ? "compute_" : "sm_") + Arch.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Picks the target for a device of compute capability <paramref name="device"/>, given the architectures this NVRTC
    /// supports. A cubin needs an architecture of the same major version, no newer than the device; otherwise PTX of the
    /// newest supported architecture not newer than the device (the driver compiles it forward).
    /// <paramref name="requested"/> (RWKV_CUDA_ARCH) replaces the device's own number as the upper bound.
    /// </summary>
    public static CompileTarget Choose(int device, IReadOnlyList<int> supported, int? requested = null)
    {
        int want = requested ?? device;
        if (want > device)
            throw new ArgumentException($"RWKV_CUDA_ARCH={want} is newer than the GPU (compute capability {device / 10}.{device % 10})");
        int cubin = -1, ptx = -1;
        foreach (var a in supported)
        {
            if (a > want) continue;
            if (a / 10 == device / 10 && a > cubin) cubin = a;
            if (a > ptx) ptx = a;
        }
        if (cubin > 0) return new CompileTarget(cubin, Ptx: false);
        if (ptx > 0) return new CompileTarget(ptx, Ptx: true);
        throw new NotSupportedException(
            $"this NVRTC supports architectures {string.Join(", ", supported)}, none usable for a GPU of compute capability {device / 10}.{device % 10}: use an older NVRTC (RWKV_NVRTC)");
    }
}
