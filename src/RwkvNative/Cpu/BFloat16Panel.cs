using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RwkvNative.Cpu;

/// <summary>Panels stored as bfloat16: zero-extend each 16-bit pattern and move it to the top half (exact).</summary>
internal readonly unsafe struct BFloat16Panel : IPanelRow512
{
    public static int ElementSize => sizeof(ushort);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Low(byte* row) =>
        Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512UInt32(Vector256.Load((ushort*)row)), 16).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> High(byte* row) =>
        Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512UInt32(Vector256.Load((ushort*)row + 16)), 16).AsSingle();
}
