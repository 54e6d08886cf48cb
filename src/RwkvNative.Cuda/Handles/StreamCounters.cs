using RwkvNative.Backends;

namespace RwkvNative.Cuda.Handles;

/// <summary>
/// What was issued on one stream: bytes copied host→device and device→host, and launches (kernels, GEMMs, graph
/// replays). Updated by the copy and launch helpers, read as <see cref="BackendCounters"/>.
/// </summary>
internal sealed class StreamCounters
{
    private long hostToDevice, deviceToHost, launches;

    /// <summary>Counts a host→device copy.</summary>
    public void HostToDevice(long bytes) => Interlocked.Add(ref hostToDevice, bytes);

    /// <summary>Counts a device→host copy.</summary>
    public void DeviceToHost(long bytes) => Interlocked.Add(ref deviceToHost, bytes);

    /// <summary>Counts one launch.</summary>
    public void Launch() => Interlocked.Increment(ref launches);

    /// <summary>The totals so far.</summary>
    public BackendCounters Read() => new(Interlocked.Read(ref hostToDevice), Interlocked.Read(ref deviceToHost), Interlocked.Read(ref launches));
}
