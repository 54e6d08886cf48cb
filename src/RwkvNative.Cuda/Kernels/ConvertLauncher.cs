using RwkvNative.Checkpoints;
using RwkvNative.Cuda.Memory;

namespace RwkvNative.Cuda.Kernels;

/// <summary>convert.cu: float32 activations to bf16/fp16 GEMM inputs.</summary>
internal sealed unsafe class ConvertLauncher(LaunchContext launch)
{
    public static readonly KernelName ToBf16 = new("convert.cu", "convert_f32_to_bf16", LaunchContext.ElementwiseBlock);
    public static readonly KernelName ToF16 = new("convert.cu", "convert_f32_to_f16", LaunchContext.ElementwiseBlock);

    private readonly nint toBf16 = launch.Modules.Function(ToBf16);
    private readonly nint toF16 = launch.Modules.Function(ToF16);

    /// <summary>y[i] = (dtype) x[i] for <paramref name="elements"/> elements; y holds 2-byte elements.</summary>
    public void Run(DeviceView<float> x, DeviceView<ushort> y, long elements, TensorDType dtype)
    {
        x.Require(elements, "conversion input");
        y.Require(elements, "conversion output");
        var (name, function) = dtype switch
        {
            TensorDType.BFloat16 => (ToBf16, toBf16),
            TensorDType.Float16 => (ToF16, toF16),
            _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "only bf16 and fp16 are conversion targets"),
        };
        if (elements == 0) return;
        ulong px = x.Address, py = y.Address;
        long n = elements;
        void** args = stackalloc void*[] { &px, &py, &n };
        launch.Launch(name, function, launch.GridFor(elements), LaunchContext.ElementwiseBlock, args);
    }
}
