using System.Runtime.Intrinsics;

namespace RwkvNative.Cpu;

/// <summary>How a 512-bit kernel reads one k-row of a W panel (32 outputs) into two float32 vectors.</summary>
internal unsafe interface IPanelRow512
{
    /// <summary>Bytes per stored element.</summary>
    static abstract int ElementSize { get; }

    /// <summary>Outputs 0..15 of the row at <paramref name="row"/>.</summary>
    static abstract Vector512<float> Low(byte* row);

    /// <summary>Outputs 16..31 of the row at <paramref name="row"/>.</summary>
    static abstract Vector512<float> High(byte* row);
}
