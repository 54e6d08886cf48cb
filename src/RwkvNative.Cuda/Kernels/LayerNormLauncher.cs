using RwkvNative.Cuda.Memory;

namespace RwkvNative.Cuda.Kernels;

/// <summary>layernorm.cu: LN over rows, and LN(a + b) for the embedding heads.</summary>
internal sealed unsafe class LayerNormLauncher(LaunchContext launch)
{
    public static readonly KernelName Plain = new("layernorm.cu", "layernorm", LaunchContext.MaxRowBlock);
    public static readonly KernelName Add = new("layernorm.cu", "add_layernorm", LaunchContext.MaxRowBlock);

    private readonly nint plain = launch.Modules.Function(Plain);
    private readonly nint add = launch.Modules.Function(Add);

    /// <summary>y[rows, C] = LN(x[rows, C]) with weight, bias [C]; y may be x.</summary>
    public void Run(DeviceView<float> x, DeviceVector weight, DeviceVector bias, DeviceView<float> y, int rows, int channels, float eps)
    {
        Check(x, weight, bias, y, rows, channels);
        ulong px = x.Address, pw = weight.View.Address, pb = bias.View.Address, py = y.Address;
        int c = channels;
        void** args = stackalloc void*[] { &px, &pw, &pb, &py, &c, &eps };
        launch.Launch(Plain, plain, (uint)rows, LaunchContext.RowBlock(channels), args);
    }

    /// <summary>y[rows, C] = LN(a + b) with weight, bias [C]; y may be a or b.</summary>
    public void RunSum(DeviceView<float> a, DeviceView<float> b, DeviceVector weight, DeviceVector bias, DeviceView<float> y,
        int rows, int channels, float eps)
    {
        Check(a, weight, bias, y, rows, channels);
        b.Require((long)rows * channels, "layernorm second input");
        ulong pa = a.Address, pb2 = b.Address, pw = weight.View.Address, pb = bias.View.Address, py = y.Address;
        int c = channels;
        void** args = stackalloc void*[] { &pa, &pb2, &pw, &pb, &py, &c, &eps };
        launch.Launch(Add, add, (uint)rows, LaunchContext.RowBlock(channels), args);
    }

    private static void Check(DeviceView<float> x, DeviceVector weight, DeviceVector bias, DeviceView<float> y, int rows, int channels)
    {
        x.Require((long)rows * channels, "layernorm input");
        y.Require((long)rows * channels, "layernorm output");
        if (weight.Length != channels || bias.Length != channels)
            throw new ArgumentException($"layernorm parameters have {weight.Length}/{bias.Length} elements, expected {channels}");
    }
}
