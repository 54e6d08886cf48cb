using System.Runtime.CompilerServices;
using RwkvNative.Cuda.Handles;
using RwkvNative.Cuda.Interop;

namespace RwkvNative.Cuda.Memory;

/// <summary>
/// Shared by the buffers of one workspace: counts reallocations (a captured CUDA graph holds the old addresses, so any
/// growth makes it stale) and forbids growth while a graph is being captured.
/// </summary>
internal sealed class ScratchGrowth
{
    /// <summary>Incremented whenever any buffer is reallocated.</summary>
    public int Generation { get; private set; }

    /// <summary>While true (during stream capture), a buffer that would have to grow throws instead.</summary>
    public bool Frozen { get; set; }

    /// <summary>Records one reallocation.</summary>
    public void Grew() => Generation++;
}
