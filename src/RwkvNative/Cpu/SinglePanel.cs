using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace RwkvNative.Cpu;

/// <summary>Panels stored as float32.</summary>
internal readonly unsafe struct SinglePanel : IPanelRow512
{
    public static int ElementSize => sizeof(float);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Low(byte* row) => Vector512.Load((float*)row);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> High(byte* row) => Vector512.Load((float*)row + 16);
}
