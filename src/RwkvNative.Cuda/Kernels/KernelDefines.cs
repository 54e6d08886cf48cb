using System.Globalization;
using RwkvNative.Model;

namespace RwkvNative.Cuda.Kernels;

/// <summary>
/// The model constants every kernel is compiled with, as NVRTC <c>-D</c> options computed from <see cref="ModelSchema"/>:
/// what the <c>-D</c> lines of <c>kernels/nvrtc.options</c> (the one list every compiler of the kernels reads) must be.
/// <see cref="KernelSources.CompilerOptions"/> refuses a file that differs.
/// </summary>
internal static class KernelDefines
{
    /// <summary>The <c>-DNAME=value</c> options, one per constant, in a fixed order.</summary>
    public static IReadOnlyList<string> Options { get; } =
    [
        Define("RWKV_HEAD_SIZE", ModelSchema.HeadSize.ToString(CultureInfo.InvariantCulture)),
        Define("RWKV_DECAY_SCALE", Float(ModelSchema.DecayScale)),
        Define("RWKV_KEY_NORM_FLOOR", Float(ModelSchema.KeyNormFloor)),
    ];

    private static string Define(string name, string value) => $"-D{name}={value}";

    // Shortest round-trip form with an f suffix, so the kernel's float literal is exactly the C# constant.
    private static string Float(float value) => value.ToString("R", CultureInfo.InvariantCulture) + "f";
}
