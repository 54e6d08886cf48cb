using RwkvNative.Checkpoints;
using RwkvNative.Cuda.Memory;

namespace RwkvNative.Cuda.Kernels;

/// <summary>activations.cu: element-wise activations, in place or written as a 16-bit GEMM input.</summary>
internal sealed unsafe class ActivationLauncher(LaunchContext launch)
{
    public static readonly KernelName Tanh = new("activations.cu", "activation_tanh", LaunchContext.ElementwiseBlock);
    public static readonly KernelName Sigmoid = new("activations.cu", "activation_sigmoid", LaunchContext.ElementwiseBlock);
    public static readonly KernelName Relu = new("activations.cu", "activation_relu", LaunchContext.ElementwiseBlock);
    public static readonly KernelName ReluSquare = new("activations.cu", "activation_relu_square", LaunchContext.ElementwiseBlock);
    public static readonly KernelName TanhBf16 = new("activations.cu", "activation_tanh_to_bf16", LaunchContext.ElementwiseBlock);
    public static readonly KernelName TanhF16 = new("activations.cu", "activation_tanh_to_f16", LaunchContext.ElementwiseBlock);
    public static readonly KernelName SigmoidBf16 = new("activations.cu", "activation_sigmoid_to_bf16", LaunchContext.ElementwiseBlock);
    public static readonly KernelName SigmoidF16 = new("activations.cu", "activation_sigmoid_to_f16", LaunchContext.ElementwiseBlock);
    public static readonly KernelName ReluSquareBf16 = new("activations.cu", "activation_relu_square_to_bf16", LaunchContext.ElementwiseBlock);
    public static readonly KernelName ReluSquareF16 = new("activations.cu", "activation_relu_square_to_f16", LaunchContext.ElementwiseBlock);

    private readonly nint tanh = launch.Modules.Function(Tanh);
    private readonly nint sigmoid = launch.Modules.Function(Sigmoid);
    private readonly nint relu = launch.Modules.Function(Relu);
    private readonly nint reluSquare = launch.Modules.Function(ReluSquare);
    private readonly HalfOutputKernels tanhHalf = new(launch, TanhBf16, TanhF16);
    private readonly HalfOutputKernels sigmoidHalf = new(launch, SigmoidBf16, SigmoidF16);
    private readonly HalfOutputKernels reluSquareHalf = new(launch, ReluSquareBf16, ReluSquareF16);

    /// <summary>x[i] = f(x[i]) for the first <paramref name="elements"/> elements.</summary>
    public void Run(Activation f, DeviceView<float> x, long elements)
    {
        x.Require(elements, "activation");
        var (name, function) = f switch
        {
            Activation.Tanh => (Tanh, tanh),
            Activation.Sigmoid => (Sigmoid, sigmoid),
            Activation.Relu => (Relu, relu),
            Activation.ReluSquare => (ReluSquare, reluSquare),
            _ => throw new ArgumentOutOfRangeException(nameof(f)),
        };
        if (elements == 0) return;
        ulong px = x.Address;
        long n = elements;
        void** args = stackalloc void*[] { &px, &n };
        launch.Launch(name, function, launch.GridFor(elements), LaunchContext.ElementwiseBlock, args);
    }

    /// <summary>y[i] = (dtype) f(x[i]) for <paramref name="elements"/> elements: tanh, sigmoid or relu² (not relu); y holds 2-byte elements.</summary>
    public void Run(Activation f, DeviceView<float> x, DeviceView<ushort> y, long elements, TensorDType dtype)
    {
        x.Require(elements, "activation input");
        y.Require(elements, "activation output");
        var (name, function) = f switch
        {
            Activation.Tanh => tanhHalf.For(dtype),
            Activation.Sigmoid => sigmoidHalf.For(dtype),
            Activation.ReluSquare => reluSquareHalf.For(dtype),
            _ => throw new ArgumentOutOfRangeException(nameof(f), f, "no 16-bit-writing form"),
        };
        if (elements == 0) return;
        ulong px = x.Address, py = y.Address;
        long n = elements;
        void** args = stackalloc void*[] { &px, &py, &n };
        launch.Launch(name, function, launch.GridFor(elements), LaunchContext.ElementwiseBlock, args);
    }
}
