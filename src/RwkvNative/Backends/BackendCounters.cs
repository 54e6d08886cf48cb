namespace RwkvNative.Backends;

/// <summary>
/// What a backend has moved and launched since it was created: bytes copied host→device and device→host, and kernel
/// launches (each kernel, each GEMM, and each CUDA-graph replay counted once). Subtract two readings to get a call's.
/// The CPU backend moves nothing and launches nothing: all zero.
/// </summary>
/// <param name="HostToDeviceBytes">Bytes copied from host memory to the device.</param>
/// <param name="DeviceToHostBytes">Bytes copied from the device to host memory.</param>
/// <param name="KernelLaunches">Kernel, GEMM and graph launches.</param>
public readonly record struct BackendCounters(long HostToDeviceBytes, long DeviceToHostBytes, long KernelLaunches)
{
    /// <summary>The difference of two readings (what happened between them).</summary>
    public static BackendCounters operator -(BackendCounters later, BackendCounters earlier) =>
        new(later.HostToDeviceBytes - earlier.HostToDeviceBytes, later.DeviceToHostBytes - earlier.DeviceToHostBytes,
            later.KernelLaunches - earlier.KernelLaunches);
}
